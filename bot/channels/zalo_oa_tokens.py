"""The OA's token pair: the access token lives 25 h, the refresh token is single-use.

:class:`OATokens` refreshes one at a time per process (an asyncio lock) and across processes
(a lease taken by compare-and-swap on the stored refresh token, :mod:`db.zalo`), and stores the
new pair before using it. The token endpoint is called outside any transaction.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid
from typing import TYPE_CHECKING, Any

import httpx

from bot.channels.zalo_errors import ZaloAuthError, ZaloTransientError, as_int
from bot.logs import redact_secrets
from db import zalo as store

if TYPE_CHECKING:
    from bot.app import App
    from db.models_zalo import ZaloTokenRow

log = logging.getLogger(__name__)

DEFAULT_OAUTH_BASE_URL = "https://oauth.zaloapp.com"


class OATokens:
    """The OA's access/refresh token pair, kept in the database and renewed one at a time."""

    def __init__(
        self,
        app: App,
        http: httpx.AsyncClient,
        *,
        app_id: str,
        app_secret: str,
        oauth_base_url: str = DEFAULT_OAUTH_BASE_URL,
        name: str = "oa",
        margin: dt.timedelta = dt.timedelta(hours=1),
        lease: dt.timedelta = dt.timedelta(seconds=60),
    ) -> None:
        redact_secrets(app_secret)
        self.app = app
        self.http = http
        self.app_id = app_id
        self.app_secret = app_secret
        self.oauth_base_url = oauth_base_url.rstrip("/")
        self.name = name
        self.margin = margin
        self.lease = lease
        self.owner = uuid.uuid4().hex
        self.refreshes = 0  # token-endpoint calls made by this process
        self._lock = asyncio.Lock()
        self._cached: tuple[str, dt.datetime | None] | None = None

    async def bootstrap(self, access_token: str | None, refresh_token: str | None) -> None:
        """Store the configured pair unless the database already has one (it wins: the
        configured refresh token may have been spent long ago)."""
        redact_secrets(access_token, refresh_token)
        if not refresh_token and not access_token:
            return
        async with self.app.sessions.begin() as session:
            await store.store_first_token(
                session,
                self.name,
                access_token=access_token or "",
                refresh_token=refresh_token or "",
                now=self.app.now(),
            )  # another instance may have stored one first: it wins too

    async def _read(self) -> ZaloTokenRow:
        async with self.app.sessions() as session:
            row = await store.token(session, self.name)
        if row is None:
            raise ZaloAuthError("token", None, "no OA token stored: set ZALO_OA_REFRESH_TOKEN")
        redact_secrets(row.access_token, row.refresh_token)
        return row

    def _expiring(self, expires_at: dt.datetime | None, now: dt.datetime) -> bool:
        return expires_at is not None and now >= expires_at - self.margin

    async def access_token(self) -> str:
        """A usable access token, refreshed first when it expires within the margin."""
        now = self.app.now()
        if self._cached is None or self._expiring(self._cached[1], now):
            row = await self._read()
            self._cached = (row.access_token, row.expires_at)
        token, expires_at = self._cached
        if not token or self._expiring(expires_at, now):
            return await self.refresh(stale=token)
        return token

    async def refresh(self, *, stale: str | None) -> str:
        """Renew the pair unless someone already replaced ``stale``; the new access token."""
        async with self._lock:
            deadline = asyncio.get_running_loop().time() + self.lease.total_seconds()
            while True:
                row = await self._read()
                now = self.app.now()
                fresh = not self._expiring(row.expires_at, now)
                if row.access_token and row.access_token != stale and fresh:
                    self._cached = (row.access_token, row.expires_at)
                    return row.access_token
                if await self._claim(row.refresh_token, now):
                    break
                # Another process holds the lease: wait for its new pair.
                if asyncio.get_running_loop().time() > deadline:
                    raise ZaloTransientError("token", None, "refresh in progress elsewhere")
                stale = row.access_token
                await asyncio.sleep(0.05)
            try:
                pair = await self._call_token_endpoint(row.refresh_token)
            except BaseException:
                await self._release()
                raise
            return await self._store(row.refresh_token, pair, now)

    async def _claim(self, refresh_token: str, now: dt.datetime) -> bool:
        """Take the refresh lease by compare-and-swap on the stored refresh token."""
        async with self.app.sessions.begin() as session:
            return await store.claim_refresh(
                session,
                self.name,
                refresh_token=refresh_token,
                owner=self.owner,
                now=now,
                lease=self.lease,
            )

    async def _release(self) -> None:
        async with self.app.sessions.begin() as session:
            await store.release_refresh(session, self.name, owner=self.owner)

    async def _store(self, spent: str, pair: dict[str, Any], now: dt.datetime) -> str:
        """Persist the new pair (only over the token we spent, only while holding the lease)."""
        access, refresh = str(pair["access_token"]), str(pair["refresh_token"])
        redact_secrets(access, refresh)
        try:
            seconds = int(pair.get("expires_in", 90000))
        except (TypeError, ValueError):
            seconds = 90000
        expires_at = now + dt.timedelta(seconds=seconds)
        async with self.app.sessions.begin() as session:
            stored = await store.store_refreshed(
                session,
                self.name,
                spent=spent,
                owner=self.owner,
                access_token=access,
                refresh_token=refresh,
                expires_at=expires_at,
                now=now,
            )
        if not stored:
            log.error("zalo oa: the refresh lease was lost; the stored pair was replaced")
        self._cached = (access, expires_at)
        log.info("zalo oa: access token refreshed (valid %s s)", seconds)
        return access

    async def _call_token_endpoint(self, refresh_token: str) -> dict[str, Any]:
        """POST the refresh grant; the new pair, or an error (HTTP 200 errors included)."""
        if not refresh_token:
            raise ZaloAuthError("access_token", None, "no refresh token stored")
        self.refreshes += 1
        try:
            response = await self.http.post(
                f"{self.oauth_base_url}/v4/oa/access_token",
                data={
                    "refresh_token": refresh_token,
                    "app_id": self.app_id,
                    "grant_type": "refresh_token",
                },
                headers={"secret_key": self.app_secret},
            )
            body = response.json()
        except httpx.HTTPError as exc:
            raise ZaloTransientError("access_token", None, type(exc).__name__) from None
        except ValueError:
            raise ZaloTransientError("access_token", None, "not JSON") from None
        if not isinstance(body, dict) or not body.get("access_token"):
            code = body.get("error") if isinstance(body, dict) else None
            text = body.get("error_description") or body.get("error_name") or "refresh failed"
            raise ZaloAuthError(
                "access_token", as_int(code), str(text)[:200], response.status_code
            )
        return body
