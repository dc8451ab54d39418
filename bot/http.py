"""What every webhook endpoint needs: a capped body read and a constant-time secret check."""

from __future__ import annotations

import hmac

from starlette.requests import Request

MAX_BODY = 1024 * 1024  # 1 MiB; platform updates are a few KB


class BodyTooLarge(Exception):
    """The request body exceeds the cap."""


async def read_body(request: Request, limit: int = MAX_BODY) -> bytes:
    """The request body, refusing more than ``limit`` bytes without reading it all."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
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
