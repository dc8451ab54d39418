"""General Vietnamese abbreviations, teencode and synonyms, plus the pack's own lexicon.

Nothing here names an entity of a particular pack: these are the ways people in Vietnam type
any question (``ko`` for không, ``đc`` for được, ``t7`` for thứ bảy, ``tv`` for thư viện).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from bot.understanding.normalize import Token, tokenize

DATA = Path(__file__).parent / "data"
# Order matters only for the rare key that two files define: the first one wins.
FILES = ("teencode.yaml", "regional.yaml", "concepts.yaml", "english.yaml")
YIELDING = frozenset({"regional.yaml", "concepts.yaml"})


@dataclass(frozen=True)
class Entry:
    """One rewrite: a short form or local word, its meaning, and whether it applies only when
    typed with its marks (the unmarked form being another common word)."""

    short: str
    means: str
    accent_only: bool = False
    # Everyday words (regional, concepts) give way to a place name of the pack that contains
    # them; abbreviations (tv, tthtcđ) are meant inside names too.
    yields: bool = False


def read_entries(path: Path, yields: bool = False) -> list[Entry]:
    """Entries of one lexicon file: ``words`` / ``accent_only`` maps, or concept groups
    (``name: {means, words, accent_only}``)."""
    with path.open(encoding="utf-8") as f:
        data = yaml.safe_load(f) or {}
    out: list[Entry] = []
    if "words" in data and isinstance(data["words"], dict):
        only = {str(k): str(v) for k, v in (data.get("accent_only") or {}).items()}
        for short, means in data["words"].items():
            out.append(Entry(str(short), str(means), str(short) in only, yields))
        for short, means in only.items():
            if short not in data["words"]:
                out.append(Entry(short, means, True, yields))
        return out
    for group in data.values():
        marked_only = {str(w) for w in group.get("accent_only") or ()}
        for word in group["words"]:
            out.append(Entry(str(word), str(group["means"]), str(word) in marked_only, yields))
    return out


@cache
def builtin() -> tuple[Entry, ...]:
    """The general lexicon shipped with the package (regional words, teencode, concepts)."""
    return tuple(e for name in FILES for e in read_entries(DATA / name, name in YIELDING))


def _inside(run: tuple[str, ...], name: tuple[str, ...]) -> bool:
    """Whether ``run`` occurs as consecutive syllables of ``name``."""
    n = len(run)
    return any(name[i : i + n] == run for i in range(len(name) - n + 1))


@dataclass(frozen=True)
class Lexicon:
    """Rewrites runs of syllables (longest first) into their meaning."""

    table: Mapping[tuple[str, ...], tuple[Token, ...]]
    accented: Mapping[tuple[str, ...], tuple[Token, ...]]
    longest: int
    starts: frozenset[str]

    @classmethod
    def build(cls, extra: Mapping[str, str] | None = None, names: Iterable[str] = ()) -> Lexicon:
        """Built-in general lexicon with the pack's ``lexicon.yaml`` on top.

        A general entry whose words occur in one of the pack's ``names`` (its places) is left
        out: the pack's own names win ('ri' is 'vậy' in Huế, but 'Na Rì' is a commune).
        """
        name_tokens = [tokenize(n) for n in names]
        folded_names = [tuple(t.fold for t in ts) for ts in name_tokens if ts]
        accented_names = [tuple(t.acc for t in ts) for ts in name_tokens if ts]
        table: dict[tuple[str, ...], tuple[Token, ...]] = {}
        accented: dict[tuple[str, ...], tuple[Token, ...]] = {}
        own = [Entry(short, means) for short, means in (extra or {}).items()]
        for entry, mine in [*((e, False) for e in builtin()), *((e, True) for e in own)]:
            key_tokens = tokenize(entry.short)
            if not key_tokens:
                continue
            meaning = tuple(tokenize(entry.means))
            folded = tuple(t.fold for t in key_tokens)
            acc = tuple(t.acc for t in key_tokens)
            in_name = entry.yields and any(_inside(folded, n) for n in folded_names)
            if in_name and (
                not any(t.marked for t in key_tokens)
                or any(_inside(acc, n) for n in accented_names)
            ):
                continue  # typed as the name is written: the name wins
            if in_name:
                entry = Entry(entry.short, entry.means, True, True)  # marked only
            if any(t.marked for t in key_tokens):
                # 'trễ' -> 'muộn' only when typed with marks; the folded form may differ.
                if mine:
                    accented[acc] = meaning
                    table[folded] = meaning
                else:
                    accented.setdefault(acc, meaning)
                    if not entry.accent_only:
                        table.setdefault(folded, meaning)
            elif mine:
                table[folded] = meaning
            else:
                table.setdefault(folded, meaning)
        longest = max((len(k) for k in [*table, *accented]), default=1)
        starts = frozenset(k[0] for k in table) | frozenset(k[0] for k in accented)
        return cls(table, accented, longest, starts)

    def apply(self, tokens: Sequence[Token]) -> list[Token]:
        """Replace known short forms (an unmarked token matches a folded key), then say what an
        age means ('con tui 8 tuổi' is a child, 'ông 78 tuổi' is elderly)."""
        return with_ages(self._replace(tokens))

    def _replace(self, tokens: Sequence[Token]) -> list[Token]:
        starts = self.starts
        hits = [i for i, t in enumerate(tokens) if t.fold in starts or t.acc in starts]
        if not hits:
            return list(tokens)  # most texts: nothing to replace
        accented, table, longest = self.accented, self.table, self.longest
        out: list[Token] = []
        i = 0
        n = len(tokens)
        for start in hits:
            if start < i:
                continue  # inside a short form replaced already
            out.extend(tokens[i:start])
            i = start
            token = tokens[i]
            for size in range(min(longest, n - i), 0, -1):
                if size == 1:
                    acc_key: tuple[str, ...] = (token.acc,)
                    fold_key: tuple[str, ...] = (token.fold,)
                else:
                    run = tokens[i : i + size]
                    acc_key = tuple([t.acc for t in run])
                    fold_key = tuple([t.fold for t in run])
                meaning = accented.get(acc_key)
                if meaning is None and acc_key == fold_key:  # no syllable typed with marks
                    meaning = table.get(fold_key)
                # đc, đk, sđt: marked only by đ, still a short form
                if (
                    meaning is None
                    and size == 1
                    and token.marked
                    and token.acc.replace("đ", "d") == token.fold
                ):
                    meaning = table.get(fold_key)
                if meaning is not None:
                    out.extend(meaning)
                    i += size
                    break
            else:
                out.append(token)
                i += 1
        out.extend(tokens[i:])
        return out


# An age in years says who is meant: a child up to CHILD_AGE, an elderly person from OLD_AGE
# (the law on the elderly: from 60).
CHILD_AGE = 15
OLD_AGE = 60
_CHILD = tuple(tokenize("thiếu nhi"))
_OLD = tuple(tokenize("người cao tuổi"))


def with_ages(tokens: list[Token]) -> list[Token]:
    """'8 tuổi' -> '8 tuổi thiếu nhi', '78 tuổi' -> '78 tuổi người cao tuổi'."""
    if not any(t.fold == "tuoi" for t in tokens):
        return tokens
    out: list[Token] = []
    for i, t in enumerate(tokens):
        out.append(t)
        if t.fold == "tuoi" and i > 0 and tokens[i - 1].fold.isdecimal():
            age = int(tokens[i - 1].fold)
            if age <= CHILD_AGE:
                out.extend(_CHILD)
            elif age >= OLD_AGE:
                out.extend(_OLD)
    return out
