"""What every handler gets: the app, the incoming message, the live content, the user."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.app import App, Live
from bot.messages import MAX_BUTTON_DATA, Button, Incoming, button, digest_ref
from bot.pack import Pack
from bot.wording import slugify
from db.models import UserRow
from handlers.texts import t

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


@dataclass
class Ctx:
    """One incoming message's world; ``session`` lives until the replies are returned."""

    app: App
    incoming: Incoming
    live: Live
    session: AsyncSession
    user: UserRow
    now: dt.datetime
    role: str | None = None  # "admin" / "editor" for staff, None for a citizen
    user_erased: bool = False  # set by /xoadulieu: nothing may be written about them after
    content_changed: bool = False  # a staff action made a new version live: reload after commit

    @property
    def lang(self) -> str:
        return self.user.language or "vi"

    @property
    def pack(self) -> Pack:
        return self.live.pack

    def t(self, key: str, **values: object) -> str:
        return t(key, self.lang, **values)


def _names(pack: Pack, ref: str) -> list[str]:
    """What an item is called on a button, as the engine words it, then bare."""
    kind, _, item = ref.partition(":")
    if kind == "course" and (course := pack.course(item)):
        return [course.title]
    if kind == "faq" and (faq := pack.faq_entry(item)):
        return [faq.question]
    if kind == "center" and (center := pack.center(item)):
        return [center.name]
    if kind == "library" and (library := pack.library(item)):
        return [f"Giờ mở cửa {library.name}", library.name]
    if kind == "stop" and (stop := pack.stop(item)):
        return [f"Xe thư viện: {stop.place}", stop.place]
    if kind == "topic" and (topic := pack.topic(item)):
        return [f"Lớp {topic.name}", topic.name]
    return []


def choice_button(pack: Pack, label: str, ref: str) -> Button:
    """A button for an engine choice: a label the engine cut ('…') is made whole again from
    the pack, then cut at a word if it is still too long (never mid-word)."""
    if label.endswith("…"):
        stem = label[:-1].rstrip()
        whole = next((name for name in _names(pack, ref) if name.startswith(stem)), None)
        if whole is not None:
            label = whole
        else:
            cut = stem.rfind(" ")
            label = (stem[:cut] if cut > len(stem) // 2 else stem).rstrip(" ,;:-–") + "…"
    return button(label, ref)


def short_data(ref: str) -> str:
    """Button data for ``ref``: itself when it fits 64 ASCII bytes, else its ``h:`` digest
    (:func:`resolve` turns it back, from the refs of the live pack listed below)."""
    return ref if ref.isascii() and len(ref) <= MAX_BUTTON_DATA else digest_ref(ref)


def _hash(value: str) -> str:
    return hashlib.sha1(value.encode()).hexdigest()[:16]


# Button data of the short-data schemes before ``h:`` (an upper-case code and a hash of the id),
# still under messages in people's chats: (old prefix, the prefix it stands for).
_OLD_HASHED = (
    ("n:T:", "n:t:"),
    ("n:C:", "n:c:"),
    ("rm:C:", "rm:c:"),
    ("rm:S:", "rm:s:"),
    ("rG:", "rg:"),
    ("sr:L:", "sr:l:"),
    ("sr:X:", "sr:x:"),
)


def _communes(pack: Pack) -> set[str]:
    return {s.commune for s in pack.stops} | {c.commune for c in pack.centers}


_DIGESTS: dict[int, tuple[Pack, dict[str, str]]] = {}


def _digests(pack: Pack) -> dict[str, str]:
    cached = _DIGESTS.get(id(pack))
    if cached is not None and cached[0] is pack:
        return cached[1]
    values: dict[str, list[str]] = {
        "n:t:": [x.id for x in pack.topics],
        "n:c:": [slugify(c) for c in _communes(pack)],
        "rm:c:": [c.id for c in pack.courses],
        "rm:s:": [s.id for s in pack.stops],
        "rg:": [c.id for c in pack.courses],
        "sr:l:": [c.id for c in pack.courses],
        "sr:x:": [c.id for c in pack.courses],
    }
    refs = [f"faq:{f.id}" for f in pack.faq]
    refs += [f"course:{c.id}" for c in pack.courses]
    refs += [f"topic:{x.id}" for x in pack.topics]
    refs += [f"library:{x.id}" for x in pack.libraries]
    refs += [f"center:{x.id}" for x in pack.centers]
    refs += [f"stop:{x.id}" for x in pack.stops]
    refs += [f"fb:1:{f.id}" for f in pack.faq] + [f"fb:0:{f.id}" for f in pack.faq]
    refs += [f"v:{slugify(s.commune)}" for s in pack.stops]
    refs += [prefix + value for prefix, items in values.items() for value in items]
    table = {digest_ref(r): r for r in refs}
    for old, new in _OLD_HASHED:
        table.update({old + _hash(value): new + value for value in values[new]})
    if len(_DIGESTS) > 4:
        _DIGESTS.clear()
    _DIGESTS[id(pack)] = (pack, table)
    return table


def resolve(data: str, pack: Pack) -> str | None:
    """Button data back to a ref (digests looked up in the live pack; None if gone). Data of
    the older hashed schemes resolves too; when its item is gone it is passed on as it is, and
    its handler says the item is gone (as it did)."""
    if data.startswith("h:"):
        return _digests(pack).get(data)
    if data.startswith(tuple(old for old, _ in _OLD_HASHED)):
        return _digests(pack).get(data, data)
    return data
