"""Warnings for FAQ answers that contradict the pack's structured data.

An FAQ answer is free text written once; the classes, libraries and centres it mentions change
later ("nấu ăn 150.000 đồng/khóa" while the class now costs 200.000). ``hoctap content check``
and the upload preview list, per FAQ entry, every fee, phone number or time in its answer that
disagrees with the item the answer names — warnings, not errors: staff decide.

What is checked, and why it is safe to check:
- **phone numbers**: a number in an answer that differs by one or two digits from a number the
  pack gives for a library, centre, the van or its contact (0209 3870 227 against 226) is almost
  surely a typo of it; numbers far from every known one are left alone.
- **fees**: an answer naming exactly one class (by title or keyword) and an amount of money that
  is not that class's fee.
- **times**: an answer naming exactly one library and a clock time ("7h30", "17:00") that is
  neither an opening nor a closing time of that library.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.pack.models import Pack
from bot.wording import fold

_PHONE_RE = re.compile(r"(?<!\d)(0\d{2,3}[ .]?\d{3,4}[ .]?\d{3,4})(?!\d)")
_MONEY_RE = re.compile(r"(\d{1,3}(?:[.,]\d{3})+|\d+)\s*(?:đồng|đ\b|vnđ|nghìn|ngàn|k\b)", re.I)
_CLAUSE_RE = re.compile(r"[;\n]+|,(?!\d)|\.(?!\d)")
_TIME_RE = re.compile(r"(?<![\d/])(\d{1,2})\s*(?:h|:|giờ)\s*(\d{2})?(?![\d/])")


@dataclass(frozen=True)
class Warning:
    """One doubtful statement: where it is and what it disagrees with."""

    file: str
    item: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.item}: cảnh báo: {self.message}"


def _digits(phone: str) -> str:
    return re.sub(r"\D", "", phone)


def _known_phones(pack: Pack) -> dict[str, tuple[str, str]]:
    """Digits of every phone the pack states -> (as written, whose it is)."""
    out: dict[str, tuple[str, str]] = {}
    for lib in pack.libraries:
        if lib.phone:
            out.setdefault(_digits(lib.phone), (lib.phone, lib.name))
    for center in pack.centers:
        if center.phone:
            out.setdefault(_digits(center.phone), (center.phone, center.name))
    if pack.mobile and pack.mobile.vehicle.phone:
        vehicle = pack.mobile.vehicle
        out.setdefault(_digits(vehicle.phone or ""), (vehicle.phone or "", vehicle.name))
    for phone in _PHONE_RE.findall(pack.info.contact or ""):
        out.setdefault(_digits(phone), (phone, "liên hệ chung"))
    return out


def _near(a: str, b: str) -> bool:
    """Same length and one or two digits apart."""
    return len(a) == len(b) and 0 < sum(x != y for x, y in zip(a, b, strict=True)) <= 2


def _money(text: str) -> list[int]:
    out = []
    for m in _MONEY_RE.finditer(text):
        raw = m.group(0).lower()
        value = int(re.sub(r"\D", "", m.group(1)))
        if "nghìn" in raw or "ngàn" in raw or raw.rstrip().endswith("k"):
            value *= 1000
        if value >= 1000:
            out.append(value)
    return out


def _times(text: str) -> list[str]:
    out = []
    for m in _TIME_RE.finditer(text):
        hour, minute = int(m.group(1)), int(m.group(2) or 0)
        if hour < 24 and minute < 60:
            out.append(f"{hour:02d}:{minute:02d}")
    return out


def _named(text: str, names: dict[str, list[str]]) -> list[str]:
    """Ids whose names (folded, whole words) occur in the text."""
    folded = f" {fold(text)} "
    return [i for i, ns in names.items() if any(f" {fold(n)} " in folded for n in ns if n)]


def check(pack: Pack) -> list[Warning]:
    """Every FAQ statement that contradicts the structured data, in file order."""
    warnings: list[Warning] = []
    phones = _known_phones(pack)
    course_titles = {c.id: [c.title] for c in pack.courses}
    course_names = {
        c.id: [c.title, *(k for k in c.keywords if len(k.split()) >= 2)] for c in pack.courses
    }
    library_names = {lib.id: [lib.name, *lib.aliases] for lib in pack.libraries}
    for faq in pack.faq:
        text = faq.answer
        for phone in _PHONE_RE.findall(text):
            digits = _digits(phone)
            if digits in phones:
                continue
            close = [known for d, known in phones.items() if _near(digits, d)]
            if close:
                written, who = close[0]
                warnings.append(
                    Warning(
                        "faq.yaml",
                        faq.id,
                        f"số điện thoại {phone.strip()} chỉ khác số của {who} ({written}) một "
                        "vài chữ số — có phải gõ nhầm?",
                    )
                )
        # A fee is read with the class named in the same clause ('tiếng Anh du lịch 300.000
        # đồng/khóa, nấu ăn 150.000 đồng/khóa': two classes, one amount each).
        for clause in _CLAUSE_RE.split(text):
            # a class named by its title; else by a keyword of its own ('nấu ăn')
            courses = _named(clause, course_titles) or _named(clause, course_names)
            amounts = _money(clause)
            if len(courses) != 1 or not amounts:
                continue
            course = pack.course(courses[0])
            if course is not None and course.fee not in amounts and course.fee > 0:
                warnings.append(
                    Warning(
                        "faq.yaml",
                        faq.id,
                        f"nêu số tiền {', '.join(_vnd(a) for a in amounts)} nhưng học phí lớp "
                        f"'{course.title}' là {_vnd(course.fee)}",
                    )
                )
        libs = _named(text, library_names)
        times = _times(text)
        if len(libs) == 1 and times:
            lib = pack.library(libs[0])
            if lib is not None and lib.hours:
                edges = {
                    edge for ranges in lib.hours.values() for r in ranges for edge in r.split("-")
                }
                odd = [t for t in times if t not in edges]
                if odd:
                    warnings.append(
                        Warning(
                            "faq.yaml",
                            faq.id,
                            f"nêu giờ {', '.join(odd)} không khớp giờ mở/đóng cửa của "
                            f"{lib.name} trong libraries.yaml",
                        )
                    )
    return warnings


def _vnd(value: int) -> str:
    return f"{value:,}".replace(",", ".") + " đồng"
