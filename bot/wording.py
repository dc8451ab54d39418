"""Small rules of phrasing shared by the handlers, the notifier and the engine's replies.

Content is written by staff, so a label may already say what a template adds around it: a stop
'Nhà văn hóa xã Thượng Minh' in 'Xã Thượng Minh', a closure whose reason is 'Nghỉ Tết Dương
lịch'. These helpers add the words only when they are not there already.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

_FOLD_TABLE = str.maketrans({"đ": "d", "Đ": "d"})


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Strip tone and vowel marks, map đ to d, lower-case: 'Đức Xuân, 7h' -> 'duc xuan, 7h'.

    The one fold of the project: the engine reads questions with it, the content checks and
    the handlers match names with it (through :func:`plain` and :func:`slugify`)."""
    decomposed = unicodedata.normalize("NFD", text.translate(_FOLD_TABLE).lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def plain(text: str) -> str:
    """Lower-case ASCII words of ``text``, punctuation dropped ('Xã Thượng Minh!' ->
    'xa thuong minh')."""
    return " ".join("".join(c if c.isalnum() else " " for c in fold(text)).split())


def slugify(text: str) -> str:
    """ASCII slug of a name ('Xã Bằng Vân' -> 'xa-bang-van'), for button data and new ids."""
    return plain(text).replace(" ", "-")


def names(text: str, name: str) -> bool:
    """Whether ``text`` already says ``name`` in full ('… xã Thanh Mai' says 'Xã Thanh Mai')."""
    full = plain(name)
    return bool(full) and f" {full} " in f" {plain(text)} "


def with_commune(place: str, commune: str) -> str:
    """'Chợ Cốc Đán (Xã Cốc Đán)', but 'Nhà văn hóa xã Thượng Minh' alone: no name twice.

    Only the commune's full name counts ('Chợ Cốc Đán' is a market's name, not its commune).
    """
    if not commune or names(place, commune):
        return place
    return f"{place} ({commune})"


def closed(reason: str | None) -> str:
    """'nghỉ', 'nghỉ (Lễ Quốc khánh)', or 'nghỉ Tết Dương lịch' when the reason says 'Nghỉ'."""
    if not reason:
        return "nghỉ"
    reason = reason.strip().rstrip(".")
    if plain(reason).split(" ")[0] == "nghi":
        return "nghỉ" + reason[4:]
    return f"nghỉ ({reason})"
