"""Dialogs' state, typed: what a multi-step dialog keeps between messages.

A dialog's state is a ``dialogs`` row (:func:`db.staff.put_dialog`), its ``data`` JSON, so any
instance takes the next message. Each state here writes exactly the JSON it always did
(``to_data``) and reads it back (``from_data``); data it cannot read (stored by another version,
or damaged) reads as None: no dialog, as if it had expired.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from db import staff as staff_db
from handlers.context import Ctx


def _strings(value: object) -> list[str] | None:
    if value is None:
        return []
    if not isinstance(value, list):
        return None
    return [str(v) for v in value]


def _ints(value: object) -> list[int] | None:
    if value is None:
        return []
    if not isinstance(value, list) or not all(str(v).lstrip("-").isdecimal() for v in value):
        return None
    return [int(v) for v in value]


@dataclass
class InboxGroup:
    """One group of similar unanswered questions (``/chuatraloi``), and the answer being typed
    for a new FAQ made of it (kind ``newfaq``)."""

    rows: list[int] = field(default_factory=list)  # the logged questions' ids
    texts: list[str] = field(default_factory=list)  # their wordings, the most asked first
    faq: list[str] = field(default_factory=list)  # suggested FAQ ids

    def to_data(self) -> dict[str, Any]:
        return {"rows": list(self.rows), "texts": list(self.texts), "faq": list(self.faq)}

    @classmethod
    def from_data(cls, data: object) -> InboxGroup | None:
        if not isinstance(data, Mapping):
            return None
        rows, texts = _ints(data.get("rows")), _strings(data.get("texts"))
        faq = _strings(data.get("faq"))
        if rows is None or texts is None or faq is None:
            return None
        return cls(rows=rows, texts=texts, faq=faq)


@dataclass
class Inbox:
    """The groups ``/chuatraloi`` listed, by the index their buttons carry (kind ``inbox``)."""

    groups: list[InboxGroup] = field(default_factory=list)

    def to_data(self) -> dict[str, Any]:
        return {"groups": [g.to_data() for g in self.groups]}

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Inbox | None:
        raw = data.get("groups") or []
        if not isinstance(raw, list):
            return None
        groups = [InboxGroup.from_data(g) for g in raw]
        if any(g is None for g in groups):
            return None
        return cls(groups=[g for g in groups if g is not None])


@dataclass
class Announcement:
    """The announcement being written (kind ``announce``): its step, then what was typed and
    chosen so far."""

    step: str = "title"  # title, body, audience, when, confirm
    topics: list[str] = field(default_factory=list)  # topic ids; none and no communes: everyone
    communes: list[str] = field(default_factory=list)
    all: bool = True
    title: str | None = None
    body: str | None = None
    when: str | None = None  # ISO time it goes

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "step": self.step,
            "topics": list(self.topics),
            "communes": list(self.communes),
            "all": self.all,
        }
        for key in ("title", "body", "when"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        return data

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Announcement | None:
        topics, communes = _strings(data.get("topics")), _strings(data.get("communes"))
        if topics is None or communes is None or not isinstance(data.get("step"), str):
            return None
        texts = {k: data.get(k) for k in ("title", "body", "when")}
        if any(v is not None and not isinstance(v, str) for v in texts.values()):
            return None
        return cls(
            step=data["step"],
            topics=topics,
            communes=communes,
            all=bool(data.get("all", True)),
            title=texts["title"],
            body=texts["body"],
            when=texts["when"],
        )


@dataclass
class SignUp:
    """A sign-up for a class being made (kind ``reg``): the class, the step, the name typed."""

    course: str = ""
    step: str = "consent"  # consent, name, phone
    name: str | None = None

    def to_data(self) -> dict[str, str]:
        data = {"course": self.course, "step": self.step}
        if self.name is not None:
            data["name"] = self.name
        return data

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> SignUp:
        """Read as text, whatever was stored (a class gone or a step unknown are handled by
        the dialog itself, as they always were)."""
        name = data.get("name")
        return cls(
            course=str(data.get("course", "")),
            step=str(data.get("step", "")),
            name=str(name) if name is not None else None,
        )


async def load_data(ctx: Ctx, kind: str) -> dict[str, Any] | None:
    """The sender's dialog of ``kind`` as stored (None when there is none)."""
    row = await staff_db.get_dialog(ctx.session, ctx.incoming.channel, ctx.incoming.user_id, kind)
    return dict(row.data) if row is not None else None


async def save_data(ctx: Ctx, kind: str, data: dict[str, Any]) -> None:
    await staff_db.put_dialog(
        ctx.session, ctx.incoming.channel, ctx.incoming.user_id, kind, data, now=ctx.now
    )


async def drop(ctx: Ctx, kind: str) -> None:
    await staff_db.drop_dialogs(ctx.session, ctx.incoming.channel, ctx.incoming.user_id, kind)
