"""Read a content pack folder into a :class:`Pack`, reporting every problem at once.

Each problem is one line ``FILE: ITEM-ID: FIELD: message`` in Vietnamese (staff read them).
Nothing here raises on bad content: :func:`load_pack` returns the pack or the list of problems.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ValidationError

from bot.pack.models import (
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

    def __str__(self) -> str:
        return f"{self.file}: {self.item}: {self.field}: {self.message}"


class PackError(Exception):
    """A pack that cannot be used; ``problems`` lists every reason."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


_MESSAGES: dict[str, str] = {
    "missing": "thiếu trường bắt buộc",
    "extra_forbidden": "trường lạ, không có trong định dạng (gõ nhầm tên?)",
    "string_type": "cần một đoạn chữ",
    "string_too_short": "không được để trống",
    "too_short": "không được để trống",
    "int_parsing": "cần một số nguyên",
    "int_type": "cần một số nguyên",
    "int_from_float": "cần một số nguyên",
    "float_parsing": "cần một số",
    "float_type": "cần một số",
    "date_parsing": "ngày không hợp lệ, cần dạng YYYY-MM-DD",
    "date_from_datetime_parsing": "ngày không hợp lệ, cần dạng YYYY-MM-DD",
    "date_from_datetime_inexact": "ngày không hợp lệ, cần dạng YYYY-MM-DD",
    "date_type": "ngày không hợp lệ, cần dạng YYYY-MM-DD",
    "datetime_parsing": "thời điểm không hợp lệ, cần dạng YYYY-MM-DDTHH:MM",
    "datetime_from_date_parsing": "thời điểm không hợp lệ, cần dạng YYYY-MM-DDTHH:MM",
    "datetime_type": "thời điểm không hợp lệ, cần dạng YYYY-MM-DDTHH:MM",
    "list_type": "cần một danh sách",
    "dict_type": "cần một bảng 'khóa: giá trị'",
    "model_type": "cần một bảng 'khóa: giá trị'",
    "model_attributes_type": "cần một bảng 'khóa: giá trị'",
    "bool_type": "cần true hoặc false",
    "bool_parsing": "cần true hoặc false",
}


def _translate(err: Mapping[str, Any]) -> tuple[str, str]:
    """Return (field path, Vietnamese message) for one pydantic error."""
    loc = [str(p) for p in err.get("loc", ()) if not str(p).startswith("function-")]
    # Annotated validators add their type name to the location; keep only field names and indexes.
    loc = [p for p in loc if p not in {"str", "int", "date", "list[str]", "[key]"}]
    field = ".".join(loc).replace("from_", "from") or "-"
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    if kind == "value_error":
        message = str(ctx.get("error", err.get("msg", "")))
        head, sep, rest = message.partition(": ")
        if sep and " " not in head:
            return (head if field == "-" else f"{field}.{head}"), rest
        return field, message
    if kind == "literal_error":
        return field, f"giá trị phải là một trong {ctx.get('expected', '')}"
    if kind in ("greater_than_equal", "greater_than"):
        return field, f"phải lớn hơn hoặc bằng {ctx.get('ge', ctx.get('gt'))}"
    if kind in ("less_than_equal", "less_than"):
        return field, f"phải nhỏ hơn hoặc bằng {ctx.get('le', ctx.get('lt'))}"
    if kind in _MESSAGES:
        return field, _MESSAGES[kind]
    return field, f"giá trị không hợp lệ ({err.get('msg', kind)})"


def _validate(
    model: type[M], data: Any, file: str, item: str, problems: list[Problem]
) -> M | None:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        seen: set[tuple[str, str]] = set()
        for err in exc.errors():
            field, message = _translate(err)
            if (field, message) not in seen:
                seen.add((field, message))
                problems.append(Problem(file, item, field, message))
        return None


def _read_yaml(path: Path, problems: list[Problem]) -> tuple[bool, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        problems.append(Problem(path.name, "-", "-", "tệp không phải UTF-8"))
        return False, None
    except OSError as exc:
        problems.append(Problem(path.name, "-", "-", f"không đọc được tệp ({exc.strerror})"))
        return False, None
    try:
        return True, yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" ở dòng {mark.line + 1}, cột {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "cú pháp sai"
        problems.append(Problem(path.name, "-", "-", f"lỗi cú pháp YAML{where}: {problem}"))
        return False, None


def _item_label(raw: Any, index: int) -> str:
    if isinstance(raw, Mapping) and isinstance(raw.get("id"), str) and raw["id"].strip():
        return str(raw["id"]).strip()
    return f"#{index + 1}"


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
            problems.append(Problem(file, label, "id", f"trùng mã với mục thứ {seen[label] + 1}"))
        else:
            seen[label] = index
        item = _validate(model, entry, file, label, problems)
        if item is not None:
            items.append(item)
    return items


def _check_refs(
    file: str,
    items: Iterable[Any],
    field: str,
    known: set[str],
    what: str,
    problems: list[Problem],
    many: bool = False,
) -> None:
    for item in items:
        value = getattr(item, field)
        values = value if many else [value]
        for v in values:
            if v is not None and v not in known:
                problems.append(
                    Problem(file, item.id, field, f"không có {what} nào mang mã '{v}'")
                )


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


def parse_pack(raw: Mapping[str, Any]) -> tuple[Pack | None, list[Problem]]:
    """Validate already-parsed files (file name -> YAML data) into a Pack."""
    problems: list[Problem] = []
    info = None
    if "pack.yaml" not in raw:
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
                    Problem("mobile_library.yaml", "-", str(key), _MESSAGES["extra_forbidden"])
                )
            vehicle = _validate(
                Vehicle, mob_raw.get("vehicle"), "mobile_library.yaml", "vehicle", problems
            )
            stops = _validate_list("mobile_library.yaml", Stop, mob_raw.get("stops"), problems)
            if vehicle is not None:
                mobile = MobileLibrary(vehicle=vehicle, stops=stops)

    lexicon = _lexicon(raw.get("lexicon.yaml"), problems)

    topics = {t.id for t in lists["topics"]}
    centers = {c.id for c in lists["centers"]}
    courses = {c.id for c in lists["courses"]}
    _check_refs("courses.yaml", lists["courses"], "topic", topics, "chủ đề", problems)
    _check_refs("courses.yaml", lists["courses"], "center", centers, "trung tâm", problems)
    ann = lists["announcements"]
    _check_refs("announcements.yaml", ann, "topics", topics, "chủ đề", problems, many=True)
    _check_refs("announcements.yaml", ann, "course", courses, "lớp học", problems)
    # Raw-data cross references of items that failed validation are still worth reporting.
    if problems or info is None:
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
            if ok:
                raw[name] = data
    return raw, problems


def load_pack(folder: Path | str) -> tuple[Pack | None, list[Problem]]:
    """Read and validate a pack folder: ``(pack, [])`` or ``(None, problems)``."""
    raw, problems = read_pack_files(Path(folder))
    pack, more = parse_pack(raw)
    problems += more
    return (pack if not problems else None), problems


def require_pack(folder: Path | str) -> Pack:
    """Like :func:`load_pack`, raising :class:`PackError` with every problem."""
    pack, problems = load_pack(folder)
    if pack is None:
        raise PackError(problems)
    return pack
