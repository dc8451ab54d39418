"""A shared location: the nearest upcoming van stop and the nearest centre or library."""

from __future__ import annotations

import math

from bot.messages import Reply
from bot.pack import visits
from bot.pack.days import day_label
from bot.pack.models import Center, Library
from bot.wording import with_commune
from handlers.context import Ctx

EARTH_KM = 6371.0
LOOKAHEAD_DAYS = 60
FAR_KM = 50.0  # nothing closer than this: the place is outside the area the bot serves


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance (haversine)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_KM * math.asin(min(1.0, math.sqrt(h)))


def _km(value: float) -> str:
    return f"{value * 1000:.0f} m" if value < 1 else f"{value:.1f} km".replace(".", ",")


def valid(lat: float, lon: float) -> bool:
    return math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180


async def nearest(ctx: Ctx, lat: float, lon: float) -> list[Reply]:
    """Answer a location with distances to the nearest van stop and learning place."""
    if not valid(lat, lon):
        return [Reply(ctx.t("location_bad"))]
    here = (lat, lon)
    lines: list[str] = []
    stops = []
    coming = visits.upcoming(ctx.pack.stops, ctx.live.engine.local(ctx.now), LOOKAHEAD_DAYS)
    for stop in ctx.pack.stops:
        if stop.location is None:
            continue
        days = [day for day, s in coming if s.id == stop.id]
        if days:
            km = distance_km(here, (stop.location.lat, stop.location.lon))
            stops.append((km, stop, days[0]))
    if stops:
        km, stop, when = min(stops, key=lambda s: s[0])
        lines.append(
            ctx.t(
                "location_stop",
                place=with_commune(stop.place, stop.commune),
                km=_km(km),
                when=f"{day_label(when, lang=ctx.lang, capital=True)} {stop.time}",
            )
        )
    candidates: list[Center | Library] = [*ctx.pack.centers, *ctx.pack.libraries]
    places = [
        (distance_km(here, (p.location.lat, p.location.lon)), p.name, p.address)
        for p in candidates
        if p.location is not None
    ]
    for km, name, address in sorted(places)[:2]:
        lines.append(ctx.t("location_place", name=name, address=address, km=_km(km)))
    if not lines:
        return [Reply(ctx.t("location_none"))]
    nearest_km = min([s[0] for s in stops] + [p[0] for p in places])
    if nearest_km > FAR_KM:
        head = ctx.t("location_far", km=_km(nearest_km))
    else:
        head = ctx.t("location_result")
    return [Reply("\n".join([head, *lines]))]
