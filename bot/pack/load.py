"""Read a content pack folder into a :class:`Pack`, reporting every problem at once.

Each problem is one line ``FILE: ITEM-ID: FIELD: message`` in Vietnamese (staff read them): the
field in words with its YAML key, the value typed and an example of a good one.
Nothing here raises on bad content: :func:`load_pack` returns the pack or the list of problems.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ValidationError

from bot.pack.days import NAMES_VI, WEEKDAYS
from bot.pack.limits import yaml_problem
from bot.pack.models import (
    SLUG_RE,
    Announcement,
    Center,
    Course,
    Faq,
    Library,
    MobileLibrary,
    Pack,
    PackInfo,
    Stop,
    Topic,
    Vehicle,
)

FILES = (
    "pack.yaml",
    "topics.yaml",
    "centers.yaml",
    "courses.yaml",
    "libraries.yaml",
    "mobile_library.yaml",
    "faq.yaml",
    "announcements.yaml",
    "lexicon.yaml",
)
LIST_FILES: dict[str, tuple[str, type[BaseModel]]] = {
    "topics.yaml": ("topics", Topic),
    "centers.yaml": ("centers", Center),
    "courses.yaml": ("courses", Course),
    "libraries.yaml": ("libraries", Library),
    "faq.yaml": ("faq", Faq),
    "announcements.yaml": ("announcements", Announcement),
}
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a pack: where it is and what is wrong, for one line of output."""

    file: str
    item: str
    field: str
    message: str
    path: str = ""  # the field as a machine path (closures.0.to), to find its spreadsheet cell

    def __str__(self) -> str:
        return f"{self.file}: {self.item}: {self.field}: {self.message}"


class PackError(Exception):
    """A pack that cannot be used; ``problems`` lists every reason."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


_MESSAGES: dict[str, str] = {
    "missing": "chưa điền (trường bắt buộc)",
    "extra_forbidden": "trường lạ, không có trong định dạng (gõ nhầm tên?)",
    "string_type": 'cần một đoạn chữ (chữ chỉ toàn số thì để trong ngoặc kép, ví dụ "2027")',
    "string_too_short": "không được để trống",
    "too_short": "không được để trống",
    "int_parsing": "cần một số nguyên",
    "int_type": "cần một số nguyên",
    "int_from_float": "cần một số nguyên, không có phần lẻ",
    "float_parsing": "cần một số",
    "float_type": "cần một số",
    "finite_number": "cần một số thật",
    "date_parsing": "không phải là ngày; viết năm-tháng-ngày",
    "date_from_datetime_parsing": "không phải là ngày; viết năm-tháng-ngày",
    "date_from_datetime_inexact": "có kèm giờ; chỉ ghi ngày",
    "date_type": "không phải là ngày; viết năm-tháng-ngày",
    "datetime_parsing": "không phải là ngày giờ; viết năm-tháng-ngàyTgiờ:phút",
    "datetime_from_date_parsing": "không phải là ngày giờ; viết năm-tháng-ngàyTgiờ:phút",
    "datetime_type": "không phải là ngày giờ; viết năm-tháng-ngàyTgiờ:phút",
    "list_type": "cần một danh sách",
    "dict_type": "cần một bảng 'tên: giá trị'",
    "model_type": "cần một bảng 'tên: giá trị'",
    "model_attributes_type": "cần một bảng 'tên: giá trị'",
    "bool_type": "cần true hoặc false",
    "bool_parsing": "cần true hoặc false",
}

# What each field is called by the people who fill it in (the YAML key stays in brackets so it
# can be found in the file).
FIELD_WORDS: dict[str, str] = {
    "id": "mã",
    "name": "tên",
    "title": "tiêu đề",
    "organisation": "cơ quan",
    "timezone": "múi giờ",
    "locale": "ngôn ngữ",
    "contact": "liên hệ",
    "synonyms": "từ đồng nghĩa",
    "aliases": "tên gọi khác",
    "commune": "xã/phường",
    "address": "địa chỉ",
    "phone": "điện thoại",
    "location": "tọa độ",
    "lat": "vĩ độ",
    "lon": "kinh độ",
    "topic": "chủ đề",
    "center": "nơi học",
    "description": "mô tả",
    "start_date": "ngày khai giảng",
    "end_date": "ngày kết thúc",
    "weekdays": "các thứ học",
    "time": "giờ",
    "fee": "học phí",
    "capacity": "số chỗ",
    "registration_closes": "hạn đăng ký",
    "registration": "cách đăng ký",
    "keywords": "từ khóa",
    "hours": "giờ mở cửa",
    "closures": "ngày nghỉ",
    "from": "ngày nghỉ đầu",
    "to": "ngày nghỉ cuối",
    "reason": "lý do",
    "services": "dịch vụ",
    "vehicle": "xe thư viện",
    "stops": "điểm dừng",
    "place": "nơi xe dừng",
    "date": "ngày",
    "weekly": "lịch lặp lại",
    "weekday": "thứ",
    "every": "mấy tuần một lần",
    "first": "lần đầu",
    "until": "lần cuối",
    "question": "câu hỏi",
    "alternates": "cách hỏi khác",
    "answer": "câu trả lời",
    "tags": "nhãn",
    "body": "nội dung",
    "publish_at": "thời điểm gửi",
    "topics": "chủ đề",
    "communes": "các xã",
    "course": "lớp học",
    "lexicon": "từ địa phương",
    "vehicle name": "tên xe thư viện",
    "vehicle description": "mô tả xe thư viện",
    "vehicle phone": "điện thoại xe thư viện",
}
DAY_WORDS: dict[str, str] = dict(zip(WEEKDAYS, NAMES_VI, strict=True))
# A good value to copy, shown after a mistake in that field.
EXAMPLES: dict[str, str] = {
    "id": "tin-hoc-k2",
    "start_date": "2026-12-01",
    "end_date": "2026-12-19",
    "registration_closes": "2026-11-28",
    "date": "2026-12-05",
    "first": "2026-11-04",
    "until": "2027-12-31",
    "from": "2027-02-04",
    "to": "2027-02-10",
    "publish_at": "2026-11-25T08:00",
    "time": '"19:00-21:00"',
    "weekdays": "[tue, thu]",
    "weekday": "wed",
    "fee": "0 (miễn phí) hoặc 150000",
    "capacity": "30",
    "every": "2",
    "lat": "22.147",
    "lon": "105.834",
    "location": "{lat: 22.147, lon: 105.834}",
    "phone": '"0209 3870 226"',
    "hours": 'mon: ["07:30-11:30", "13:30-17:00"]',
    "timezone": "Asia/Ho_Chi_Minh",
    "locale": "vi",
}
LITERALS: dict[str, str] = {
    "locale": "vi (tiếng Việt) hoặc en (tiếng Anh)",
}
WEEKDAY_CHOICES = "mon, tue, wed, thu, fri, sat, sun (thứ Hai … Chủ nhật)"


def field_words(path: list[str]) -> str:
    """A field location in words staff use: ``closures.0.to`` -> ngày nghỉ cuối của đợt nghỉ 1."""
    if not path:
        return "-"

    def word(key: str) -> str:
        if key in DAY_WORDS:
            return DAY_WORDS[key]
        return f"{FIELD_WORDS[key]} ({key})" if key in FIELD_WORDS else f"'{key}'"

    head, rest = path[0], path[1:]
    if head == "hours" and rest:
        day = DAY_WORDS.get(rest[0], f"'{rest[0]}'")
        if len(rest) > 1 and rest[1].isdecimal():
            return f"khoảng giờ thứ {int(rest[1]) + 1} trong giờ mở cửa {day} (hours: {rest[0]})"
        return f"giờ mở cửa {day} (hours: {rest[0]})"
    if head == "closures" and rest and rest[0].isdecimal():
        number = int(rest[0]) + 1
        if len(rest) > 1:
            return f"{word(rest[1])} của đợt nghỉ thứ {number} (closures)"
        return f"đợt nghỉ thứ {number} (closures)"
    if head == "weekdays" and rest and rest[0].isdecimal():
        return f"ngày thứ {int(rest[0]) + 1} trong danh sách thứ học (weekdays)"
    if rest and rest[0].isdecimal():
        inner = f" → {field_words(rest[1:])}" if len(rest) > 1 else ""
        return f"mục thứ {int(rest[0]) + 1} trong {word(head)}{inner}"
    if rest:
        return f"{field_words(rest)} của {FIELD_WORDS.get(head, head)} ({head})"
    return word(head)


def _day_hint(typed: Any) -> str:
    """'; có phải định viết tue (thứ Ba)?' for how Vietnamese write a weekday: t3, thứ 3, CN."""
    if not isinstance(typed, str):
        return ""
    text = unicodedata.normalize("NFC", typed).lower().replace(" ", "").replace(".", "")
    for prefix in ("thứ", "thu", "th", "t"):
        if text.startswith(prefix) and text[len(prefix) :].isdecimal():
            number = int(text[len(prefix) :])
            if 2 <= number <= 7:
                day = ("mon", "tue", "wed", "thu", "fri", "sat")[number - 2]
                return f"; có phải định viết {day} ({DAY_WORDS[day]})?"
    if text in ("cn", "chủnhật", "chunhat"):
        return "; có phải định viết sun (Chủ nhật)?"
    return ""


def _shown(value: Any) -> str:
    """The value a person typed, as they would recognise it."""
    if value is None:
        return "(để trống)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        text = value if len(value) <= 60 else value[:57] + "…"
        return f"'{text}'"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(str(v) for v in value)[:60] + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {v}" for k, v in value.items())[:60] + "}"
    return str(value)


def _number(value: Any) -> str:
    """90.0 -> 90; no thousands dots, since a fee must be written without them."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _example(key: str) -> str:
    return f"; ví dụ {EXAMPLES[key]}" if key in EXAMPLES else ""


def _machine_path(err: Mapping[str, Any]) -> str:
    """``closures.0.to`` for one pydantic error (a model check names its field first)."""
    loc = [str(p) for p in err.get("loc", ()) if not str(p).startswith("function-")]
    loc = [p for p in loc if p not in {"str", "int", "date", "list[str]", "[key]"}]
    loc = ["from" if p == "from_" else p for p in loc]
    if err.get("type") == "value_error":
        message = str((err.get("ctx") or {}).get("error", ""))
        head, sep, _ = message.partition(": ")
        if sep and " " not in head:
            loc.append(head)
    return ".".join(loc)


def _translate(
    err: Mapping[str, Any],
    model: type[BaseModel] | None = None,
    missing: Mapping[tuple[str, ...], list[str]] | None = None,
) -> tuple[str, str]:
    """Return (field in words, Vietnamese message) for one pydantic error.

    ``missing`` lists, per place, the required fields left out: a strange key next to them is
    most likely one of them misspelt (``lng`` for ``lon``).
    """
    loc = [str(p) for p in err.get("loc", ()) if not str(p).startswith("function-")]
    # Annotated validators add their type name to the location; keep only field names and indexes.
    is_key = "[key]" in loc
    loc = [p for p in loc if p not in {"str", "int", "date", "list[str]", "[key]"}]
    loc = ["from" if p == "from_" else p for p in loc]
    last = next((p for p in reversed(loc) if not p.isdecimal()), "")
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    value = err.get("input")
    shown = _shown(value)
    if kind == "value_error":
        message = str(ctx.get("error", err.get("msg", "")))
        head, sep, rest = message.partition(": ")
        if sep and " " not in head:
            return field_words([*loc, head]), rest
        return field_words(loc), message
    if kind == "extra_forbidden":
        name = loc[-1] if loc else "?"
        known = sorted(model.model_fields) if model is not None and len(loc) == 1 else []
        known = [k.rstrip("_") for k in known] + list((missing or {}).get(tuple(loc[:-1]), []))
        guess = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        if not guess and len(loc) > 1:  # inside a closure, a place, a schedule: any field name
            guess = difflib.get_close_matches(name, list(FIELD_WORDS), n=1, cutoff=0.75)
        hint = f"; có phải định viết '{guess[0]}'?" if guess else ""
        where = field_words(loc[:-1]) if len(loc) > 1 else ""
        inside = f" trong {where}" if where else ""
        return (
            f"'{name}'",
            f"tên trường lạ{inside}, không có trong định dạng nên không được dùng{hint}",
        )
    if kind == "literal_error":
        if is_key and loc and loc[0] == "hours":
            hint = _day_hint(loc[-1]) or '; ví dụ sun: ["08:00-11:30"] cho Chủ nhật'
            return (
                "giờ mở cửa (hours)",
                f"'{loc[-1]}' không phải tên thứ; dùng {WEEKDAY_CHOICES}{hint}",
            )
        if last in ("weekdays", "weekday"):
            hint = _day_hint(value)
            return field_words(loc), f"{shown} không phải tên thứ; dùng {WEEKDAY_CHOICES}{hint}"
        choices = LITERALS.get(last, str(ctx.get("expected", "")).replace("' or '", "', '"))
        return field_words(loc), f"{shown} không hợp lệ; dùng {choices}"
    if kind in ("greater_than_equal", "greater_than"):
        limit = _number(ctx.get("ge", ctx.get("gt")))
        return field_words(loc), f"{shown} quá nhỏ: phải từ {limit} trở lên{_example(last)}"
    if kind in ("less_than_equal", "less_than"):
        limit = _number(ctx.get("le", ctx.get("lt")))
        return field_words(loc), f"{shown} quá lớn: tối đa {limit}{_example(last)}"
    if kind == "missing":
        return field_words(loc), f"chưa điền (trường bắt buộc){_example(last)}"
    if kind in _MESSAGES:
        return field_words(loc), f"{shown}: {_MESSAGES[kind]}{_example(last)}"
    return field_words(loc), f"{shown} không hợp lệ{_example(last)}"


def _validate(
    model: type[M], data: Any, file: str, item: str, problems: list[Problem]
) -> M | None:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        found: list[tuple[str, str]] = []
        paths: dict[tuple[str, str], str] = {}
        errors = exc.errors()
        missing: dict[tuple[str, ...], list[str]] = {}
        for err in errors:
            if err.get("type") == "missing":
                where = ["from" if str(p) == "from_" else str(p) for p in err.get("loc", ())]
                missing.setdefault(tuple(where[:-1]), []).append(where[-1])
        for err in errors:
            pair = _translate(err, model, missing)
            if pair not in found:
                found.append(pair)
                paths[pair] = _machine_path(err)
        # A misspelt key ('adress') already says which key it should be: the "missing
        # 'address'" that follows from it would be the same mistake told twice.
        meant = {m.rsplit("'", 2)[-2] for _, m in found if "có phải định viết" in m}
        for field, message in found:
            if message.startswith("chưa điền") and any(f"({key})" in field for key in meant):
                continue
            problems.append(Problem(file, item, field, message, paths[field, message]))
        return None


class _Loader(yaml.SafeLoader):
    """Safe YAML where dates stay text: a date that does not exist is reported, not raised."""


def _int_or_text(loader: _Loader, node: yaml.ScalarNode) -> Any:
    """YAML 1.1 reads ``19:00`` as 1140 (base 60) and ``0204 …`` as octal: keep them as typed."""
    text = str(node.value)
    digits = text.lstrip("+-")
    if ":" in text or (len(digits) > 1 and digits.startswith("0") and digits[1:2].isdecimal()):
        return text
    return loader.construct_yaml_int(node)


def _float_or_text(loader: _Loader, node: yaml.ScalarNode) -> Any:
    text = str(node.value)
    return text if ":" in text else loader.construct_yaml_float(node)


_Loader.add_constructor("tag:yaml.org,2002:int", _int_or_text)
_Loader.add_constructor("tag:yaml.org,2002:float", _float_or_text)
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

# PyYAML's English reasons, said the way the guide (content/GUIDE.md) teaches.
_YAML_PROBLEMS: tuple[tuple[str, str], ...] = (
    (
        "mapping values are not allowed",
        "có dấu hai chấm và dấu cách ở giữa một giá trị; hãy để cả câu trong ngoặc kép, "
        'ví dụ answer: "Chú ý: mang theo căn cước"',
    ),
    ("found character '\\t'", "có ký tự Tab; hãy thụt lề bằng dấu cách"),
    (
        "cannot start any token",
        "có ký tự không được đứng đầu giá trị; hãy để giá trị trong ngoặc kép",
    ),
    ("could not find expected ':'", "thiếu dấu hai chấm sau tên trường, ví dụ name: Tin học"),
    ("expected ',' or ']'", "danh sách [ ... ] chưa đóng ngoặc hoặc thiếu dấu phẩy"),
    ("expected ',' or '}'", "bảng { ... } chưa đóng ngoặc hoặc thiếu dấu phẩy"),
    (
        "found unexpected end of stream",
        "tệp kết thúc giữa chừng: thiếu dấu ngoặc kép hoặc ngoặc đóng?",
    ),
    ("did not find expected key", "thụt lề không khớp với các dòng bên trên"),
    ("did not find expected '-' indicator", "thụt lề không khớp với các mục bên trên"),
    ("expected <block end>", "thụt lề không khớp với các dòng bên trên"),
    ("found undefined alias", "có dấu * ở đầu giá trị; hãy để giá trị trong ngoặc kép"),
    ("found unknown escape character", "có dấu \\ lạ trong ngoặc kép; dùng ngoặc đơn ' thay thế"),
    ("found unexpected ':'", "có dấu hai chấm không đúng chỗ; hãy để giá trị trong ngoặc kép"),
)


def _yaml_reason(exc: yaml.YAMLError) -> str:
    text = " ".join(
        str(part)
        for part in (getattr(exc, "context", None), getattr(exc, "problem", None))
        if part
    )
    for english, vietnamese in _YAML_PROBLEMS:
        if english in text:
            return vietnamese
    return "cách viết không đúng; so với các mục bên cạnh (thụt lề, dấu hai chấm, ngoặc kép)"


def _read_yaml(path: Path, problems: list[Problem]) -> tuple[bool, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        problems.append(Problem(path.name, "-", "-", "tệp không phải UTF-8"))
        return False, None
    except OSError as exc:
        problems.append(Problem(path.name, "-", "-", f"không đọc được tệp ({exc.strerror})"))
        return False, None
    refused = yaml_problem(text)
    if refused is not None:
        problems.append(Problem(path.name, "-", "-", f"không nhận tệp này: {refused}"))
        return False, None
    try:
        return True, yaml.load(text, Loader=_Loader)
    except RecursionError:
        problems.append(Problem(path.name, "-", "-", "không nhận tệp này: lồng nhau quá sâu"))
        return False, None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" ở dòng {mark.line + 1}, cột {mark.column + 1}" if mark else ""
        lines = text.splitlines()
        quoted = ""
        if mark is not None and 0 <= mark.line < len(lines) and lines[mark.line].strip():
            quoted = f" (dòng đó: {lines[mark.line].strip()[:60]})"
        problems.append(
            Problem(path.name, "-", "-", f"lỗi cú pháp YAML{where}: {_yaml_reason(exc)}{quoted}")
        )
        return False, None


def _item_label(raw: Any, index: int) -> str:
    if isinstance(raw, Mapping) and isinstance(raw.get("id"), str) and raw["id"].strip():
        return str(raw["id"]).strip()
    return f"mục thứ {index + 1}"


def _validate_list(file: str, model: type[M], raw: Any, problems: list[Problem]) -> list[M]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        problems.append(Problem(file, "-", "-", "tệp phải là một danh sách các mục (- id: ...)"))
        return []
    items: list[M] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(raw):
        label = _item_label(entry, index)
        if label in seen:
            message = f"'{label}' trùng mã với mục thứ {seen[label] + 1}"
            problems.append(Problem(file, label, "mã (id)", message, "id"))
        else:
            seen[label] = index
        item = _validate(model, entry, file, label, problems)
        if item is not None:
            items.append(item)
    return items


def _raw_ids(raw: Any) -> set[str]:
    """The ids written in a file, whether or not their items passed validation."""
    if not isinstance(raw, list):
        return set()
    return {
        entry["id"].strip()
        for entry in raw
        if isinstance(entry, Mapping) and isinstance(entry.get("id"), str)
    }


def _check_refs(
    file: str,
    raw: Any,
    field: str,
    known: set[str],
    what: str,
    problems: list[Problem],
) -> None:
    """Report references to ids that are not in the pack, from the data as written.

    Checked on the raw items so that one mistake in an item does not hide (or fake) a dangling
    reference: a course whose centre has a typo in its address still names an existing centre.
    """
    if not isinstance(raw, list):
        return
    words = field_words([field])
    for index, entry in enumerate(raw):
        if not isinstance(entry, Mapping):
            continue
        value = entry.get(field)
        values = value if isinstance(value, list) else [value]
        label = _item_label(entry, index)
        for v in values:
            if not isinstance(v, str) or not SLUG_RE.match(v.strip()) or v.strip() in known:
                continue  # empty, or not a code at all: validation already says why
            choices = ", ".join(sorted(known)[:5]) + (", …" if len(known) > 5 else "")
            hint = f" (có: {choices})" if known else ""
            message = f"không có {what} nào mang mã '{v}'{hint}"
            problems.append(Problem(file, label, words, message, field))


def _lexicon(raw: Any, problems: list[Problem]) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        problems.append(Problem("lexicon.yaml", "-", "-", "cần một bảng 'từ viết tắt: nghĩa'"))
        return {}
    out: dict[str, str] = {}
    for key, value in raw.items():
        if not isinstance(value, str | int) or not str(value).strip() or not str(key).strip():
            problems.append(Problem("lexicon.yaml", str(key), "-", "cần một nghĩa bằng chữ"))
            continue
        out[str(key).strip()] = str(value).strip()
    return out


class _Unreadable:
    """Stands for a file whose YAML could not be read (the reason is already reported)."""

    def __repr__(self) -> str:
        return "UNREADABLE"


UNREADABLE: Any = _Unreadable()


def parse_pack(raw: Mapping[str, Any]) -> tuple[Pack | None, list[Problem]]:
    """Validate already-parsed files (file name -> YAML data) into a Pack.

    A file given as :data:`UNREADABLE` has had its problem reported already: it is not
    reported again as missing, and references into it are not checked (they cannot be).
    """
    problems: list[Problem] = []
    info = None
    unreadable = {name for name, data in raw.items() if data is UNREADABLE}
    raw = {name: data for name, data in raw.items() if data is not UNREADABLE}
    if "pack.yaml" in unreadable:
        pass  # its syntax error is the one line to read
    elif "pack.yaml" not in raw:
        problems.append(Problem("pack.yaml", "-", "-", "thiếu tệp pack.yaml (bắt buộc)"))
    elif not isinstance(raw["pack.yaml"], Mapping):
        problems.append(Problem("pack.yaml", "-", "-", "cần một bảng 'khóa: giá trị'"))
    else:
        info = _validate(PackInfo, raw["pack.yaml"], "pack.yaml", "pack", problems)

    lists: dict[str, list[Any]] = {}
    for file, (attr, model) in LIST_FILES.items():
        lists[attr] = _validate_list(file, model, raw.get(file), problems)

    mobile = None
    mob_raw = raw.get("mobile_library.yaml")
    if mob_raw is not None:
        if not isinstance(mob_raw, Mapping):
            problems.append(Problem("mobile_library.yaml", "-", "-", "cần 'vehicle:' và 'stops:'"))
        else:
            extra = set(mob_raw) - {"vehicle", "stops"}
            for key in sorted(extra, key=str):
                problems.append(
                    Problem(
                        "mobile_library.yaml",
                        "-",
                        f"'{key}'",
                        "tên trường lạ, không có trong định dạng nên không được dùng; "
                        "tệp này chỉ có 'vehicle:' và 'stops:'",
                        str(key),
                    )
                )
            vehicle = _validate(
                Vehicle, mob_raw.get("vehicle"), "mobile_library.yaml", "vehicle", problems
            )
            stops = _validate_list("mobile_library.yaml", Stop, mob_raw.get("stops"), problems)
            if vehicle is not None:
                mobile = MobileLibrary(vehicle=vehicle, stops=stops)

    lexicon = _lexicon(raw.get("lexicon.yaml"), problems)

    # References are checked against the ids written in each file, unless that file could not
    # be read as a list at all: then its ids are unknown, not missing.
    def ids(name: str) -> set[str] | None:
        data = raw.get(name)
        if name in unreadable or (data is not None and not isinstance(data, list)):
            return None
        return _raw_ids(data)

    raw_courses, raw_ann = raw.get("courses.yaml"), raw.get("announcements.yaml")
    for file, items, field, known, what in (
        ("courses.yaml", raw_courses, "topic", ids("topics.yaml"), "chủ đề"),
        ("courses.yaml", raw_courses, "center", ids("centers.yaml"), "trung tâm"),
        ("announcements.yaml", raw_ann, "topics", ids("topics.yaml"), "chủ đề"),
        ("announcements.yaml", raw_ann, "course", ids("courses.yaml"), "lớp học"),
    ):
        if known is not None:
            _check_refs(file, items, field, known, what, problems)
    if problems or info is None or unreadable:
        return None, problems
    # Pack times are local wall-clock times: an explicit offset is converted to the pack's zone.
    zone = ZoneInfo(info.timezone)
    lists["announcements"] = [
        a.model_copy(update={"publish_at": a.publish_at.astimezone(zone).replace(tzinfo=None)})
        if a.publish_at.tzinfo is not None
        else a
        for a in lists["announcements"]
    ]
    pack = Pack(info=info, mobile=mobile, lexicon=lexicon, **lists)
    return pack, []


def read_pack_files(folder: Path) -> tuple[dict[str, Any], list[Problem]]:
    """Read the YAML files of a pack folder; unknown .yaml files are reported."""
    problems: list[Problem] = []
    raw: dict[str, Any] = {}
    if not folder.is_dir():
        return {}, [Problem(str(folder), "-", "-", "không phải là một thư mục")]
    for path in sorted(folder.iterdir()):
        if path.suffix in (".yaml", ".yml") and path.name not in FILES:
            problems.append(
                Problem(path.name, "-", "-", "tệp lạ; các tệp hợp lệ: " + ", ".join(FILES))
            )
    for name in FILES:
        path = folder / name
        if path.exists():
            ok, data = _read_yaml(path, problems)
            raw[name] = data if ok else UNREADABLE
    return raw, problems


def load_pack(folder: Path | str) -> tuple[Pack | None, list[Problem]]:
    """Read and validate a pack folder: ``(pack, [])`` or ``(None, problems)``."""
    raw, problems = read_pack_files(Path(folder))
    pack, more = parse_pack(raw)
    problems += more
    # One file at a time, in the order of the format (stable: items keep their order).
    order = {name: index for index, name in enumerate(FILES)}
    problems.sort(key=lambda p: order.get(p.file, -1))
    return (pack if not problems else None), problems


def require_pack(folder: Path | str) -> Pack:
    """Like :func:`load_pack`, raising :class:`PackError` with every problem."""
    pack, problems = load_pack(folder)
    if pack is None:
        raise PackError(problems)
    return pack
