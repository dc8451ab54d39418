"""What a conversation remembers between two messages of one person.

The engine reads a message in the light of the last answer ("thế còn chủ nhật?", "cái thứ hai",
"học phí bao nhiêu?") and hands back the context to keep for the next one. Channels store it
with the person (``Context.to_json``/``from_json``) and drop it after a quiet period; nothing in
here is the citizen's own text, only references to the pack's items and the date words in force.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Context:
    """The last answer a person was given, as references the engine can read back.

    ``kind`` and ``ids`` are those of the answer (``ids`` in the order shown, so "cái thứ hai"
    is ``ids[1]``); ``slots`` hold the entities in force (``library``, ``course``, ``center``,
    ``stop``, ``commune``, ``topic``, ``when`` …) as short strings; ``at`` is when it was set.
    """

    kind: str
    ids: tuple[str, ...] = ()
    slots: dict[str, str] = field(default_factory=dict)
    at: dt.datetime | None = None

    def to_json(self) -> dict[str, Any]:
        """A plain JSON object for the database."""
        return {
            "kind": self.kind,
            "ids": list(self.ids),
            "slots": dict(self.slots),
            "at": self.at.isoformat() if self.at else None,
        }

    @classmethod
    def from_json(cls, data: Any) -> Context | None:
        """Read back what ``to_json`` wrote; anything malformed is no context at all."""
        if not isinstance(data, dict) or not isinstance(data.get("kind"), str):
            return None
        ids = data.get("ids") or []
        slots = data.get("slots") or {}
        if not isinstance(ids, list) or not isinstance(slots, dict):
            return None
        at = None
        if isinstance(data.get("at"), str):
            try:
                at = dt.datetime.fromisoformat(data["at"])
            except ValueError:
                at = None
        return cls(
            kind=data["kind"],
            ids=tuple(str(i) for i in ids),
            slots={str(k): str(v) for k, v in slots.items()},
            at=at,
        )

    def expired(self, now: dt.datetime, quiet: dt.timedelta) -> bool:
        """True when the last answer is older than the quiet period (or has no time)."""
        if self.at is None:
            return True
        at, ref = self.at, now
        if (at.tzinfo is None) != (ref.tzinfo is None):
            at, ref = at.replace(tzinfo=None), ref.replace(tzinfo=None)
        return ref - at > quiet
