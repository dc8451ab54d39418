"""Content versions in the database: apply a pack, read the live one, list, roll back.

Functions take ``session`` and never commit; the caller owns the transaction (``session.begin()``),
so applying a pack is all or nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.pack.diff import PackDiff, diff_packs
from bot.pack.models import (
    Announcement,
    Center,
    Closure,
    Course,
    Faq,
    Library,
    Location,
    MobileLibrary,
    Pack,
    PackInfo,
    Stop,
    Topic,
    Vehicle,
    Weekly,
)
from db.models import (
    AnnouncementRow,
    AuditRow,
    CenterRow,
    ContentHead,
    ContentVersion,
    CourseRow,
    FaqAlternateRow,
    FaqRow,
    LibraryClosureRow,
    LibraryHoursRow,
    LibraryRow,
    PackInfoRow,
    StopRow,
    TopicRow,
)


@dataclass(frozen=True)
class Applied:
    """The outcome of applying a pack: the new version (None when nothing changed)."""

    version_id: int | None
    diff: PackDiff


def _loc(lat: float | None, lon: float | None) -> Location | None:
    return Location(lat=lat, lon=lon) if lat is not None and lon is not None else None


def _moment(wall: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """A pack's time (a wall-clock time of its zone, see ``bot.pack.load``) as a moment."""
    return wall.replace(tzinfo=zone) if wall.tzinfo is None else wall


def _wall_clock(moment: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """A stored moment as the pack's wall-clock time again."""
    return moment.astimezone(zone).replace(tzinfo=None)


def _rows(pack: Pack, version: int) -> list[Any]:
    """Every row that stores ``pack`` under ``version``."""
    info = pack.info
    vehicle = pack.mobile.vehicle if pack.mobile else None
    rows: list[Any] = [
        PackInfoRow(
            version_id=version,
            name=info.name,
            organisation=info.organisation,
            timezone=info.timezone,
            locale=info.locale,
            contact=info.contact,
            has_mobile=pack.mobile is not None,
            vehicle_name=vehicle.name if vehicle else None,
            vehicle_description=vehicle.description if vehicle else None,
            vehicle_phone=vehicle.phone if vehicle else None,
            lexicon=dict(pack.lexicon),
        )
    ]
    for n, t in enumerate(pack.topics):
        rows.append(
            TopicRow(version_id=version, slug=t.id, position=n, name=t.name, synonyms=t.synonyms)
        )
    for n, c in enumerate(pack.centers):
        rows.append(
            CenterRow(
                version_id=version,
                slug=c.id,
                position=n,
                name=c.name,
                aliases=c.aliases,
                commune=c.commune,
                address=c.address,
                phone=c.phone,
                lat=c.location.lat if c.location else None,
                lon=c.location.lon if c.location else None,
            )
        )
    for n, k in enumerate(pack.courses):
        rows.append(
            CourseRow(
                version_id=version,
                slug=k.id,
                position=n,
                title=k.title,
                topic=k.topic,
                center=k.center,
                description=k.description,
                start_date=k.start_date,
                end_date=k.end_date,
                weekdays=list(k.weekdays),
                time_range=k.time,
                fee=k.fee,
                capacity=k.capacity,
                registration_closes=k.registration_closes,
                registration=k.registration,
                keywords=k.keywords,
            )
        )
    for n, lib in enumerate(pack.libraries):
        rows.append(
            LibraryRow(
                version_id=version,
                slug=lib.id,
                position=n,
                name=lib.name,
                aliases=lib.aliases,
                address=lib.address,
                phone=lib.phone,
                lat=lib.location.lat if lib.location else None,
                lon=lib.location.lon if lib.location else None,
                services=lib.services,
            )
        )
        for day, spans in lib.hours.items():
            for m, span in enumerate(spans):
                opens, closes = span.split("-")
                rows.append(
                    LibraryHoursRow(
                        version_id=version,
                        library=lib.id,
                        weekday=day,
                        position=m,
                        opens=opens,
                        closes=closes,
                    )
                )
        for m, cl in enumerate(lib.closures):
            rows.append(
                LibraryClosureRow(
                    version_id=version,
                    library=lib.id,
                    position=m,
                    start_date=cl.from_,
                    end_date=cl.to,
                    reason=cl.reason,
                )
            )
    for n, s in enumerate(pack.stops):
        w = s.weekly
        rows.append(
            StopRow(
                version_id=version,
                slug=s.id,
                position=n,
                place=s.place,
                commune=s.commune,
                lat=s.location.lat if s.location else None,
                lon=s.location.lon if s.location else None,
                date=s.date,
                weekly_weekday=w.weekday if w else None,
                weekly_every=w.every if w else None,
                weekly_first=w.first if w else None,
                weekly_until=w.until if w else None,
                time_range=s.time,
            )
        )
    for n, f in enumerate(pack.faq):
        rows.append(
            FaqRow(
                version_id=version,
                slug=f.id,
                position=n,
                question=f.question,
                answer=f.answer,
                tags=f.tags,
            )
        )
        for m, alt in enumerate(f.alternates):
            rows.append(FaqAlternateRow(version_id=version, faq=f.id, position=m, text=alt))
    for n, a in enumerate(pack.announcements):
        rows.append(
            AnnouncementRow(
                version_id=version,
                slug=a.id,
                position=n,
                title=a.title,
                body=a.body,
                publish_at=_moment(a.publish_at, ZoneInfo(info.timezone)),
                topics=a.topics,
                communes=a.communes,
                course=a.course,
            )
        )
    return rows


async def _all(session: AsyncSession, model: Any, version: int) -> list[Any]:
    order = [model.position] if hasattr(model, "position") else []
    result = await session.scalars(
        select(model).where(model.version_id == version).order_by(*order)
    )
    return list(result)


async def read_pack(session: AsyncSession, version: int) -> Pack | None:
    """The pack stored under ``version``, or None if there is no such version."""
    info = await session.get(PackInfoRow, version)
    if info is None:
        return None
    hours: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for h in await _all(session, LibraryHoursRow, version):
        hours[h.library][h.weekday].append(f"{h.opens}-{h.closes}")
    closures: dict[str, list[Closure]] = defaultdict(list)
    for c in await _all(session, LibraryClosureRow, version):
        closures[c.library].append(
            Closure(**{"from": c.start_date}, to=c.end_date, reason=c.reason)
        )
    alternates: dict[str, list[str]] = defaultdict(list)
    for a in await _all(session, FaqAlternateRow, version):
        alternates[a.faq].append(a.text)

    def weekly(s: StopRow) -> Weekly | None:
        if s.weekly_weekday is None or s.weekly_first is None or s.weekly_until is None:
            return None
        return Weekly(
            weekday=s.weekly_weekday,
            every=s.weekly_every or 1,
            first=s.weekly_first,
            until=s.weekly_until,
        )

    stops = [
        Stop(
            id=s.slug,
            place=s.place,
            commune=s.commune,
            location=_loc(s.lat, s.lon),
            date=s.date,
            weekly=weekly(s),
            time=s.time_range,
        )
        for s in await _all(session, StopRow, version)
    ]
    mobile = None
    if info.has_mobile:
        vehicle = Vehicle(
            name=info.vehicle_name or "",
            description=info.vehicle_description,
            phone=info.vehicle_phone,
        )
        mobile = MobileLibrary(vehicle=vehicle, stops=stops)
    return Pack(
        info=PackInfo(
            name=info.name,
            organisation=info.organisation,
            timezone=info.timezone,
            locale=info.locale,
            contact=info.contact,
        ),
        topics=[
            Topic(id=t.slug, name=t.name, synonyms=t.synonyms)
            for t in await _all(session, TopicRow, version)
        ],
        centers=[
            Center(
                id=c.slug,
                name=c.name,
                aliases=c.aliases,
                commune=c.commune,
                address=c.address,
                phone=c.phone,
                location=_loc(c.lat, c.lon),
            )
            for c in await _all(session, CenterRow, version)
        ],
        courses=[
            Course(
                id=k.slug,
                title=k.title,
                topic=k.topic,
                center=k.center,
                description=k.description,
                start_date=k.start_date,
                end_date=k.end_date,
                weekdays=k.weekdays,
                time=k.time_range,
                fee=k.fee,
                capacity=k.capacity,
                registration_closes=k.registration_closes,
                registration=k.registration,
                keywords=k.keywords,
            )
            for k in await _all(session, CourseRow, version)
        ],
        libraries=[
            Library(
                id=lib.slug,
                name=lib.name,
                aliases=lib.aliases,
                address=lib.address,
                phone=lib.phone,
                location=_loc(lib.lat, lib.lon),
                hours={d: list(v) for d, v in hours[lib.slug].items()},
                closures=closures[lib.slug],
                services=lib.services,
            )
            for lib in await _all(session, LibraryRow, version)
        ],
        mobile=mobile,
        faq=[
            Faq(
                id=f.slug,
                question=f.question,
                alternates=alternates[f.slug],
                answer=f.answer,
                tags=f.tags,
            )
            for f in await _all(session, FaqRow, version)
        ],
        announcements=[
            Announcement(
                id=a.slug,
                title=a.title,
                body=a.body,
                publish_at=_wall_clock(a.publish_at, ZoneInfo(info.timezone)),
                topics=a.topics,
                communes=a.communes,
                course=a.course,
            )
            for a in await _all(session, AnnouncementRow, version)
        ],
        lexicon=dict(info.lexicon or {}),
    )


async def current_version(session: AsyncSession) -> int | None:
    """The live content version id, or None when no content was ever imported."""
    head = await session.get(ContentHead, 1)
    return head.version_id if head else None


async def current_pack(session: AsyncSession) -> tuple[int, Pack] | None:
    """The live version id and its pack, or None."""
    version = await current_version(session)
    if version is None:
        return None
    pack = await read_pack(session, version)
    return (version, pack) if pack is not None else None


class StaleBase(Exception):
    """The content moved on since the version a change was prepared against."""

    def __init__(self, base: int | None, live: int | None) -> None:
        super().__init__(f"base {base}, live {live}")
        self.base = base
        self.live = live


async def _set_head(session: AsyncSession, version: int, expected: int | None) -> None:
    """Point the head at ``version`` only if it still names ``expected`` (compare-and-swap:
    of two changes prepared against one version, the second fails instead of reverting)."""
    if expected is None:
        head = await session.get(ContentHead, 1)
        if head is None:
            session.add(ContentHead(id=1, version_id=version))
        else:
            head.version_id = version
        return
    result = await session.execute(
        update(ContentHead)
        .where(ContentHead.id == 1, ContentHead.version_id == expected)
        .values(version_id=version)
    )  # the default synchronize_session keeps the session's ContentHead in step
    if int(getattr(result, "rowcount", 0) or 0) != 1:
        live = await session.scalar(select(ContentHead.version_id).where(ContentHead.id == 1))
        raise StaleBase(expected, live)


async def apply_pack(
    session: AsyncSession,
    pack: Pack,
    *,
    now: dt.datetime,
    author: str = "cli",
    source: str = "",
    note: str = "",
    force: bool = False,
    base: int | None = None,
) -> Applied:
    """Store ``pack`` as a new live version (unless nothing changed and not ``force``).

    ``base``: the version the change was prepared (previewed) against; if another version went
    live since, :class:`StaleBase` is raised and nothing is stored.
    """
    # Lock the head first (PostgreSQL: a concurrent apply waits here and then sees the version
    # the other one made live; SQLite: writers are serialised and a stale one fails and retries).
    locked = await session.scalar(
        select(ContentHead.version_id).where(ContentHead.id == 1).with_for_update()
    )
    if base is not None and locked != base:
        raise StaleBase(base, locked)
    live = await current_pack(session)
    diff = diff_packs(live[1] if live else None, pack)
    if not diff and not force and live is not None:
        return Applied(None, diff)
    version = ContentVersion(
        created_at=now, author=author, source=source, note=note, summary=diff.counts()
    )
    session.add(version)
    await session.flush()
    session.add_all(_rows(pack, version.id))
    await _set_head(session, version.id, live[0] if live else None)
    session.add(
        AuditRow(
            at=now,
            actor=author,
            action="content.apply",
            detail={"version": version.id, "source": source, "changes": diff.counts()},
        )
    )
    await session.flush()
    return Applied(version.id, diff)


async def list_versions(session: AsyncSession) -> list[ContentVersion]:
    """Every content version, newest first."""
    result = await session.scalars(select(ContentVersion).order_by(ContentVersion.id.desc()))
    return list(result)


async def rollback(
    session: AsyncSession, version: int, *, now: dt.datetime, author: str = "cli"
) -> Applied:
    """Make ``version``'s content live again, as a new version (history stays linear)."""
    pack = await read_pack(session, version)
    if pack is None:
        raise LookupError(f"không có phiên bản {version}")
    return await apply_pack(
        session,
        pack,
        now=now,
        author=author,
        source=f"rollback:{version}",
        note=f"Khôi phục phiên bản {version}",
        force=True,
    )
