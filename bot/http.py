"""What every webhook endpoint needs: a capped body read, a constant-time secret check, and a
server protocol that drops clients too slow to send their request headers."""

from __future__ import annotations

import asyncio
import hmac
import logging

from starlette.requests import Request
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # 1 MiB; platform updates are a few KB
HEADER_TIMEOUT = 10.0  # seconds from connecting (or finishing a response) to a whole request head


class BodyTooLarge(Exception):
    """The request body exceeds the cap."""


async def read_body(request: Request, limit: int = MAX_BODY) -> bytes:
    """The request body, refusing more than ``limit`` bytes without reading it all."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdecimal() and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def secret_matches(given: str | None, expected: str) -> bool:
    """Constant-time comparison of a shared secret."""
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


class HeaderTimeoutH11(H11Protocol):
    """uvicorn's h11 protocol, plus a deadline for the request head.

    uvicorn closes a kept-alive connection that stays silent, but not one that never sends a
    request, nor one that sends its headers a byte at a time ("slowloris"): each holds a
    socket and a file descriptor for ever. Here a connection must deliver a complete request
    head within :data:`HEADER_TIMEOUT` of connecting or of its previous response, else it is
    closed. Telegram and Zalo send whole requests at once.
    """

    _head_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_deadline()

    def data_received(self, data: bytes) -> None:
        if not self._in_request():
            self._arm_head_deadline()  # a head is arriving: it has until the deadline
        super().data_received(data)
        if self._in_request():
            self._disarm_head_deadline()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._disarm_head_deadline()  # idle now: uvicorn's keep-alive timeout applies

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_deadline()
        super().connection_lost(exc)

    def _in_request(self) -> bool:
        return self.cycle is not None and not self.cycle.response_complete

    def _arm_head_deadline(self) -> None:
        if self._head_deadline is None:
            self._head_deadline = self.loop.call_later(HEADER_TIMEOUT, self._head_too_slow)

    def _disarm_head_deadline(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _head_too_slow(self) -> None:
        self._head_deadline = None
        if not self._in_request() and not self.transport.is_closing():
            log.info("closed a connection that sent no complete request in %.0f s", HEADER_TIMEOUT)
            self.transport.close()
