"""The application's dependencies, built by one factory: ``build_app(settings, clock=…)``.

``App`` holds the database engine and session factory, the clock, and the answering engine
built from the live content version. Every instance checks the version before answering
(:meth:`App.refresh`), so a new version reaches it without a restart.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.clock import Clock, SystemClock
from bot.messages import Incoming, Reply
from bot.metrics import Metrics
from bot.pack import Pack, PackError, load_pack
from bot.settings import Settings
from bot.understanding import Engine
from db import content as content_db
from db.engine import make_engine, make_sessions, setup_lock, upgrade

log = logging.getLogger(__name__)

REFRESH_SECONDS = 2.0


@dataclass
class Live:
    """The live content: its version, the pack and the answering engine built from it."""

    version: int
    pack: Pack
    engine: Engine


@dataclass
class App:
    """Everything a handler, a job or a CLI command needs; no globals."""

    settings: Settings
    db: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    live: Live | None = None
    metrics: Metrics = field(default_factory=Metrics)
    _checked_at: float = field(default=-1e9, repr=False)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.live.pack.info.timezone) if self.live else self.settings.tz

    def now(self) -> dt.datetime:
        """The current time in the pack's time zone."""
        return self.clock.now().astimezone(self.tz)

    async def prepare(self, *, import_default: bool = True) -> None:
        """Migrate the schema; on an empty database import the content folder; load content."""
        await upgrade(self.db)
        async with self.sessions.begin() as session:
            await setup_lock(await session.connection())  # one instance imports, the others wait
            empty = await content_db.current_version(session) is None
            if empty and import_default:
                pack, problems = load_pack(self.settings.content_dir)
                if pack is None:
                    raise PackError(problems)
                await content_db.apply_pack(
                    session,
                    pack,
                    now=self.clock.now(),
                    author="system",
                    source=str(self.settings.content_dir),
                    note="Nhập nội dung lần đầu",
                )
                log.info("imported %s into an empty database", self.settings.content_dir)
        await self.refresh(force=True)

    async def refresh(self, *, force: bool = False) -> Live | None:
        """Rebuild the engine if another version went live (checked every few seconds)."""
        loop = asyncio.get_running_loop()
        if not force and loop.time() - self._checked_at < REFRESH_SECONDS:
            return self.live
        async with self._lock:
            self._checked_at = loop.time()
            async with self.sessions() as session:
                version = await content_db.current_version(session)
                if version is None:
                    self.live = None
                    return None
                if self.live is not None and self.live.version == version:
                    return self.live
                pack = await content_db.read_pack(session, version)
            if pack is not None:
                self.live = Live(version, pack, Engine.build(pack))
                self.metrics.content_version.set(version)
                log.info("content version %s is live", version)
        return self.live

    async def require_live(self) -> Live:
        """The live content; a database with no content is a setup error."""
        live = await self.refresh()
        if live is None:
            raise RuntimeError("no content: run `hoctap content import DIR`")
        return live

    async def close(self) -> None:
        await self.db.dispose()


# The conversation's entry point (``handlers.dispatch``): the composition root (the runner, the
# command line) hands it to each channel, so that no channel imports the handlers.
Dispatch = Callable[[Incoming, App], Awaitable[list[Reply]]]


def build_app(
    settings: Settings, *, clock: Clock | None = None, database_url: str | None = None
) -> App:
    """Create the app's dependencies (nothing is connected until ``prepare``)."""
    db = make_engine(database_url or settings.async_database_url)
    return App(
        settings=settings,
        db=db,
        sessions=make_sessions(db),
        clock=clock or SystemClock(settings.tz),
    )
