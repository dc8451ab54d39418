"""Write a :class:`Pack` back to a folder of YAML files (the inverse of ``load_pack``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from bot.pack.models import Pack


class _Dumper(yaml.SafeDumper):
    """Block style, Unicode kept as typed, multi-line answers as literal blocks."""


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _datetime_representer(dumper: yaml.SafeDumper, value: dt.datetime) -> yaml.ScalarNode:
    # Pack times are local wall-clock times written without seconds, as staff write them.
    text = value.strftime("%Y-%m-%dT%H:%M") if value.second == 0 else value.isoformat()
    return dumper.represent_scalar("tag:yaml.org,2002:str", text)


_Dumper.add_representer(str, _str_representer)
_Dumper.add_representer(dt.datetime, _datetime_representer)


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


def dump_pack(pack: Pack, folder: Path | str) -> list[Path]:
    """Write the pack as YAML files into ``folder`` (created if needed); returns the paths."""
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in pack_files(pack).items():
        path = target / name
        text = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
