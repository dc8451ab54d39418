"""Small rules of phrasing shared by the handlers, the notifier and the engine's replies.

Content is written by staff, so a label may already say what a template adds around it: a stop
'Nhà văn hóa xã Thượng Minh' in 'Xã Thượng Minh', a closure whose reason is 'Nghỉ Tết Dương
lịch'. These helpers add the words only when they are not there already.
"""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Lower-case ASCII words of ``text`` ('Xã Thượng Minh' -> 'xa thuong minh')."""
    text = text.replace("đ", "d").replace("Đ", "D")
    folded = unicodedata.normalize("NFD", text)
    ascii_text = "".join(c for c in folded if unicodedata.category(c) != "Mn").lower()
    return " ".join("".join(c if c.isalnum() else " " for c in ascii_text).split())


def names(text: str, name: str) -> bool:
    """Whether ``text`` already says ``name`` in full ('… xã Thanh Mai' says 'Xã Thanh Mai')."""
    full = fold(name)
    return bool(full) and f" {full} " in f" {fold(text)} "


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
    if fold(reason).split(" ")[0] == "nghi":
        return "nghỉ" + reason[4:]
    return f"nghỉ ({reason})"
