"""What applying one pack over another would change: added / changed / removed ids per kind.

Staff read it before they apply a file (command line and chat) and in the list of versions:
plain Vietnamese ("sửa 1"), and for each changed item which fields change, before → after.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from bot.pack.models import Pack

MAX_CHANGED_SHOWN = 10  # items per kind whose field changes are spelled out
MAX_VALUE_CHARS = 50

KIND_LABELS: dict[str, str] = {
    "pack": "thông tin chung",
    "topics": "chủ đề",
    "centers": "trung tâm",
    "courses": "lớp học",
    "libraries": "thư viện",
    "stops": "điểm dừng xe thư viện",
    "faq": "hỏi đáp",
    "announcements": "thông báo",
}


@dataclass(frozen=True)
class KindDiff:
    """Changes of one kind of item, ids in pack order."""

    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    # For each changed id: (field in words, before, after), both values as staff write them.
    fields: dict[str, tuple[tuple[str, str, str], ...]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed)


@dataclass(frozen=True)
class PackDiff:
    """The per-kind changes between an old pack (maybe none) and a new one."""

    kinds: dict[str, KindDiff] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return any(self.kinds.values())

    def counts(self) -> dict[str, dict[str, int]]:
        """Kind -> {added, changed, removed} counts, for the version summary."""
        return {
            k: {"added": len(d.added), "changed": len(d.changed), "removed": len(d.removed)}
            for k, d in self.kinds.items()
            if d
        }

    def lines(self) -> list[str]:
        """Lines in Vietnamese, one per kind that changes with its ids, then what changes."""
        out = []
        for kind, d in self.kinds.items():
            if not d:
                continue
            out.append(f"{KIND_LABELS.get(kind, kind)}: " + summary_words(d))
            for item in d.changed[:MAX_CHANGED_SHOWN]:
                changes = d.fields.get(item, ())
                if changes:
                    said = "; ".join(f"{name}: {old} → {new}" for name, old, new in changes)
                    out.append(f"  • {said}" if item == "pack" else f"  • {item}: {said}")
            if len(d.changed) > MAX_CHANGED_SHOWN:
                out.append(f"  • … và {len(d.changed) - MAX_CHANGED_SHOWN} mục sửa khác")
        return out or ["không có thay đổi"]


def summary_words(d: KindDiff | Mapping[str, int], *, whole: bool = False) -> str:
    """'thêm 2 (a, b); sửa 1 (c)' for a kind's diff, or 'thêm 2; sửa 1' for stored counts.

    ``whole`` is for the pack-wide settings, one thing: 'sửa' rather than 'sửa 1'.
    """
    parts = []
    for word, key in (("thêm", "added"), ("sửa", "changed"), ("xóa", "removed")):
        if isinstance(d, KindDiff):
            ids: tuple[str, ...] = getattr(d, key)
            if ids == ("pack",):
                parts.append(word)  # the pack-wide settings are one thing, not a count
            elif ids:
                parts.append(f"{word} {len(ids)} ({', '.join(ids)})")
        elif d.get(key):
            parts.append(word if whole else f"{word} {d[key]}")
    return "; ".join(parts)


def _shown(value: Any) -> str:
    if value is None or value == [] or value == {}:
        return "(trống)"
    if isinstance(value, dt.datetime):
        text = value.strftime("%Y-%m-%dT%H:%M")
    elif isinstance(value, dt.date):
        text = value.isoformat()
    elif isinstance(value, list):
        text = "[" + ", ".join(_shown(v).strip('"') for v in value) + "]"
    elif isinstance(value, Mapping):
        text = "{" + ", ".join(f"{k}: {_shown(v).strip(chr(34))}" for k, v in value.items()) + "}"
    elif isinstance(value, str):
        text = value.replace("\n", " ")
        if len(text) > MAX_VALUE_CHARS:
            text = text[: MAX_VALUE_CHARS - 1] + "…"
        return f'"{text}"'
    else:
        text = str(value)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def field_changes(old: Any, new: Any) -> tuple[tuple[str, str, str], ...]:
    """Which fields differ between two versions of an item: (field in words, before, after)."""
    from bot.pack.load import field_words

    def data(item: Any) -> dict[str, Any]:
        if isinstance(item, BaseModel):
            dumped: dict[str, Any] = item.model_dump(mode="python", by_alias=True)
            return dumped
        return dict(item or {})

    out: list[tuple[str, str, str]] = []

    def walk(path: list[str], before: Mapping[str, Any], after: Mapping[str, Any]) -> None:
        for key in dict.fromkeys([*before, *after]):
            was, now = before.get(key), after.get(key)
            if was == now:
                continue
            if isinstance(was, Mapping) and isinstance(now, Mapping) and path == []:
                walk([str(key)], was, now)  # hours: say which day changed
            else:
                out.append((field_words([*path, str(key)]), _shown(was), _shown(now)))

    walk([], data(old), data(new))
    return tuple(out)


def _diff_items(old: Sequence[Any], new: Sequence[Any]) -> KindDiff:
    before = {i.id: i for i in old}
    after = {i.id: i for i in new}
    changed = tuple(i for i in after if i in before and before[i] != after[i])
    return KindDiff(
        added=tuple(i for i in after if i not in before),
        changed=changed,
        removed=tuple(i for i in before if i not in after),
        fields={i: field_changes(before[i], after[i]) for i in changed[:MAX_CHANGED_SHOWN]},
    )


def _general(pack: Pack | None) -> dict[str, Any]:
    """The pack-wide settings, vehicle and lexicon as one mapping, to compare field by field."""
    if pack is None:
        return {}
    out: dict[str, Any] = pack.info.model_dump(mode="python")
    vehicle = pack.mobile.vehicle if pack.mobile else None
    if vehicle is not None:
        out.update({f"vehicle {k}": v for k, v in vehicle.model_dump(mode="python").items()})
    out["lexicon"] = dict(pack.lexicon)
    return out


def diff_packs(old: Pack | None, new: Pack) -> PackDiff:
    """Compare two packs kind by kind (``old`` None means an empty database)."""
    kinds: dict[str, KindDiff] = {}
    old_general, new_general = _general(old), _general(new)
    if old_general != new_general:
        if old is None:
            kinds["pack"] = KindDiff(added=("pack",))
        else:
            changes = field_changes(old_general, new_general)
            kinds["pack"] = KindDiff(changed=("pack",), fields={"pack": changes})
    for kind in ("topics", "centers", "courses", "libraries", "stops", "faq", "announcements"):
        kinds[kind] = _diff_items(getattr(old, kind) if old else [], getattr(new, kind))
    return PackDiff(kinds)
