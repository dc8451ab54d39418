"""Vietnamese text normalisation: NFC, case, punctuation, repeated letters, folded diacritics."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

MAX_CHARS = 600
_REPEAT3_RE = re.compile(r"([^\W\d_])\1{2,}", re.UNICODE)
_REPEAT2_RE = re.compile(r"([^\W\d_oOuU])\1", re.UNICODE)
_DATE_RE = re.compile(r"\b(\d{1,2})\s*[/.\-]\s*(\d{1,2})(?:\s*[/.\-]\s*(\d{2,4}))?\b")
_HOUR_RE = re.compile(r"\b(\d{1,2})\s*h\s*(\d{1,2})?\b")
_FOLD_TABLE = str.maketrans({"đ": "d", "Đ": "d"})


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Strip tone and vowel marks, map đ to d, lower-case: 'Đức Xuân' -> 'duc xuan'."""
    decomposed = unicodedata.normalize("NFD", text.translate(_FOLD_TABLE).lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def has_marks(token: str) -> bool:
    """True when the token carries Vietnamese diacritics (so the accented form counts)."""
    return fold(token) != token


def clean(text: str) -> str:
    """NFC, lower case, printable only, repeated letters collapsed, dates and hours kept."""
    text = unicodedata.normalize("NFC", text[:MAX_CHARS]).lower()
    if not text.isprintable():
        text = "".join(c if c.isprintable() else " " for c in text)
    text = _REPEAT3_RE.sub(r"\1", text)
    text = _REPEAT2_RE.sub(r"\1", text)
    if not any(c.isdigit() for c in text):
        return text
    # Keep 26/3 and 9h30 as words before punctuation is dropped.
    text = _DATE_RE.sub(
        lambda m: (
            f" ngay_{m.group(1)}_{m.group(2)}" + (f"_{m.group(3)}" if m.group(3) else "") + " "
        ),
        text,
    )
    text = _HOUR_RE.sub(lambda m: f" {m.group(1)} giờ " + (m.group(2) or "") + " ", text)
    return text


@dataclass(frozen=True)
class Token:
    """One syllable as typed (accented, NFC, lower case) and folded."""

    acc: str
    fold: str

    @property
    def marked(self) -> bool:
        """True when the user typed diacritics on this syllable."""
        return self.acc != self.fold


def words(text: str) -> list[str]:
    """Syllables of an already cleaned text, keeping date markers such as ngay_26_3."""
    return [w for w in re.findall(r"[^\W]+", text, re.UNICODE) if w != "_"]


def tokenize(text: str) -> list[Token]:
    """Cleaned syllables of raw text as :class:`Token` pairs."""
    return [_token(w) for w in words(clean(text))]


@lru_cache(maxsize=65536)
def _token(word: str) -> Token:
    return Token(word, fold(word))


def folded_words(text: str) -> list[str]:
    """Folded syllables of raw text (for indexing pack content)."""
    return [t.fold for t in tokenize(text)]
