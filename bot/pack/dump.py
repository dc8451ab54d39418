"""Write a :class:`Pack` back to a folder of YAML files (the inverse of ``load_pack``).

Staff were taught a way of writing the files (``content/GUIDE.md``): comments that explain each
file, phones and times in double quotes, short lists on one line (``[tue, thu]``), places and
repeating visits as ``{lat: …, lon: …}``, long answers on one line or as a ``|`` block. The
export keeps all of that. When the folder being written (or the folder the pack was imported
from) already has the files, they are the template: items are matched by ``id`` and only what
changed is rewritten, so comments, quoting, blank lines and the order of keys stay exactly as
the person left them (an unchanged pack is written back byte for byte). Without a template the
files are written in the guide's style.

``ruamel.yaml`` does the round trip: unlike PyYAML it keeps comments and the style of each value.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    LiteralScalarString,
    ScalarString,
)

from bot.pack.models import RANGE_RE, Pack

QUOTED_KEYS = frozenset({"phone", "contact"})  # the guide: phones always in double quotes
FLOW_MAPS = frozenset({"location", "weekly"})  # {lat: …, lon: …}, {weekday: …, every: …}
BLOCK_LISTS = frozenset({"alternates", "stops", "closures"})  # one entry per line
FLOW_ITEMS = frozenset({"closures"})  # each closure on one line: - {from: …, to: …}
# A value that YAML would misread unquoted, or that the guide asks to quote.
NEEDS_QUOTES = re.compile(r"(: |\s#)|^[\s\"'&*!|>%@`{\[\-?:,]|\s$")
FLOW_SPECIAL = re.compile(r"[,\[\]{}]")  # inside [a, b] these would split or end the list
FLOW_LIST_CHARS = 90  # a longer list of words gets one line per entry


def _clean(value: Any) -> Any:
    """Drop None and empty lists/dicts so an exported item has the keys its author wrote."""
    if isinstance(value, dict):
        out = {k: _clean(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v is not None and v != [] and v != {}}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def item_dict(item: BaseModel) -> dict[str, Any]:
    """One item as the YAML mapping staff would write (aliases such as ``from`` restored)."""
    data: dict[str, Any] = _clean(item.model_dump(mode="python", by_alias=True))
    return data


def pack_files(pack: Pack) -> dict[str, Any]:
    """File name -> YAML data for every file the pack has content for."""
    files: dict[str, Any] = {"pack.yaml": item_dict(pack.info)}
    for name, items in (
        ("topics.yaml", pack.topics),
        ("centers.yaml", pack.centers),
        ("courses.yaml", pack.courses),
        ("libraries.yaml", pack.libraries),
        ("faq.yaml", pack.faq),
        ("announcements.yaml", pack.announcements),
    ):
        if items:
            files[name] = [item_dict(i) for i in items]
    if pack.mobile is not None:
        files["mobile_library.yaml"] = item_dict(pack.mobile)
    if pack.lexicon:
        files["lexicon.yaml"] = dict(pack.lexicon)
    return files


def _yaml() -> YAML:
    yaml = YAML()  # round trip: comments, quoting and flow style are kept
    yaml.preserve_quotes = True
    yaml.width = 100_000  # never wrap a long answer
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _plain(value: Any) -> Any:
    """A value as the pack means it, whatever YAML node or Python type carries it."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M") if value.second == 0 else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return unicodedata.normalize("NFC", str(value)).strip()
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return float(value)
    return value


def _same(old: Any, new: Any) -> bool:
    return bool(_plain(old) == _plain(new))


def _scalar(value: Any, key: str, like: Any = None, *, in_flow: bool = False) -> Any:
    """A new scalar in the guide's style (or in the style of the value it replaces)."""
    if isinstance(value, dt.datetime):
        value = value.strftime("%Y-%m-%dT%H:%M") if value.second == 0 else value.isoformat()
    if not isinstance(value, str):
        return value
    if "\n" in value or isinstance(like, LiteralScalarString):
        return LiteralScalarString(value.rstrip("\n") + "\n")
    if (
        isinstance(like, DoubleQuotedScalarString)
        or key in QUOTED_KEYS
        or RANGE_RE.match(value)
        or NEEDS_QUOTES.search(value)
        or (in_flow and FLOW_SPECIAL.search(value))
    ):
        return DoubleQuotedScalarString(value)
    if isinstance(like, ScalarString):
        return type(like)(value)
    return value


def _fresh(value: Any, key: str = "", flow: bool = False) -> Any:
    """A new YAML node for ``value`` in the guide's style."""
    if isinstance(value, Mapping):
        node = CommentedMap()
        for k, v in value.items():
            node[k] = _fresh(v, str(k), flow=flow or k in FLOW_MAPS)
        if flow or key in FLOW_MAPS:
            node.fa.set_flow_style()
        return node
    if isinstance(value, list | tuple):
        short = sum(len(str(v)) + 2 for v in value) <= FLOW_LIST_CHARS
        inline = bool(key) and key not in BLOCK_LISTS and short
        inline = inline and all(not isinstance(v, Mapping) for v in value)
        seq = CommentedSeq(
            _scalar(v, key, in_flow=True) if inline else _fresh(v, key, flow=key in FLOW_ITEMS)
            for v in value
        )
        if inline:
            seq.fa.set_flow_style()
        return seq
    return _scalar(value, key)


def _merge(old: Any, new: Any, key: str = "") -> Any:
    """``old`` (a node read from a template) changed to hold ``new``, keeping what it can."""
    if _same(old, new):
        return old
    if isinstance(old, CommentedMap) and isinstance(new, Mapping):
        for k in [k for k in old if k not in new]:
            del old[k]
        for position, (k, v) in enumerate(new.items()):
            if k in old:
                old[k] = _merge(old[k], v, str(k))
            else:
                flow = old.fa.flow_style() or k in FLOW_MAPS
                old.insert(min(position, len(old)), k, _fresh(v, str(k), flow=flow))
        return old
    if isinstance(old, CommentedSeq) and isinstance(new, list | tuple):
        if new and all(isinstance(v, Mapping) and "id" in v for v in new):
            return _merge_items(old, new, key)
        if all(not isinstance(v, Mapping | list) for v in new):
            flow = bool(old.fa.flow_style())
            seq = CommentedSeq(_scalar(v, key, in_flow=flow) for v in new)
            if flow:
                seq.fa.set_flow_style()
            return seq
        return _fresh(new, key)
    if isinstance(new, Mapping | list | tuple):
        return _fresh(new, key)
    return _scalar(new, key, like=old)


def _merge_items(old: CommentedSeq, new: Sequence[Mapping[str, Any]], key: str) -> CommentedSeq:
    """A list of items with ids: kept ones merged in place, removed ones dropped, new appended
    after the item that precedes them, so the comments between items stay where they were."""
    wanted = [str(v["id"]) for v in new]
    by_id = {str(v["id"]): v for v in new}
    for index in reversed(range(len(old))):
        item = old[index]
        if not isinstance(item, CommentedMap) or str(item.get("id")) not in by_id:
            del old[index]
    have = [str(item.get("id")) for item in old]
    if [i for i in wanted if i in have] != have:  # reordered: rebuild in the new order
        kept = {str(item.get("id")): item for item in old}
        del old[:]
        for item_id in wanted:
            old.append(_merge(kept[item_id], by_id[item_id], key) if item_id in kept else None)
        for index, item_id in enumerate(wanted):
            if old[index] is None:
                old[index] = _fresh(by_id[item_id], key)
        return old
    for position, item_id in enumerate(wanted):
        if position < len(old) and str(old[position].get("id")) == item_id:
            old[position] = _merge(old[position], by_id[item_id], key)
        else:
            old.insert(position, _fresh(by_id[item_id], key))
    return old


def _render(data: Any, template: str | None) -> str:
    yaml = _yaml()
    node: Any = None
    if template is not None:
        try:
            node = yaml.load(template)
        except Exception:  # an unreadable template only means: write in the guide's style
            node = None
    if node is not None and isinstance(node, CommentedMap | CommentedSeq):
        node = _merge(node, data)
    else:
        node = _fresh(data)
    out = io.StringIO()
    yaml.dump(node, out)
    text = out.getvalue()
    if isinstance(node, CommentedSeq):
        # ruamel indents a top-level list like a nested one; the guide starts items at column 0
        text = "".join(
            line[2:] if line.startswith("  ") else line for line in text.splitlines(True)
        )
    return text


def dump_pack(pack: Pack, folder: Path | str, *, template: Path | str | None = None) -> list[Path]:
    """Write the pack as YAML files into ``folder`` (created if needed); returns the paths.

    The files already in ``folder``, else those in ``template`` (the folder the pack was imported
    from), give the comments and the style to keep. A file of the folder that the pack has
    nothing for any more is removed, so that importing the folder again gives the same pack.
    """
    from bot.pack.load import FILES

    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    # a template that is not a folder (a version imported from a spreadsheet) gives nothing
    sources = [target] + ([Path(template)] if template is not None else [])
    files = pack_files(pack)
    written = []
    for name, data in files.items():
        base = next((s / name for s in sources if (s / name).is_file()), None)
        text = base.read_text(encoding="utf-8") if base is not None else None
        path = target / name
        path.write_text(_render(data, text), encoding="utf-8")
        written.append(path)
    for name in FILES:
        if name not in files and (target / name).is_file():
            (target / name).unlink()
    return written
