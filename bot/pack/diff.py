"""What applying one pack over another would change: added / changed / removed ids per kind."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.pack.models import Pack

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
        """Human-readable lines, one per kind that changes, with the ids."""
        out = []
        for kind, d in self.kinds.items():
            if not d:
                continue
            parts = []
            for sign, ids in (("+", d.added), ("~", d.changed), ("-", d.removed)):
                if ids:
                    parts.append(f"{sign}{len(ids)} ({', '.join(ids)})")
            out.append(f"{KIND_LABELS.get(kind, kind)}: " + "; ".join(parts))
        return out or ["không có thay đổi"]


def _diff_items(old: Sequence[Any], new: Sequence[Any]) -> KindDiff:
    before = {i.id: i for i in old}
    after = {i.id: i for i in new}
    return KindDiff(
        added=tuple(i for i in after if i not in before),
        changed=tuple(i for i in after if i in before and before[i] != after[i]),
        removed=tuple(i for i in before if i not in after),
    )


def diff_packs(old: Pack | None, new: Pack) -> PackDiff:
    """Compare two packs kind by kind (``old`` None means an empty database)."""
    kinds: dict[str, KindDiff] = {}
    old_general = (
        (old.info, old.mobile.vehicle if old.mobile else None, old.lexicon) if old else None
    )
    new_general = (new.info, new.mobile.vehicle if new.mobile else None, new.lexicon)
    if old_general != new_general:
        kinds["pack"] = KindDiff(added=("pack",)) if old is None else KindDiff(changed=("pack",))
    for kind in ("topics", "centers", "courses", "libraries", "stops", "faq", "announcements"):
        kinds[kind] = _diff_items(getattr(old, kind) if old else [], getattr(new, kind))
    return PackDiff(kinds)
