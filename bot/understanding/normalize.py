"""Vietnamese text normalisation: NFC, case, punctuation, repeated letters, folded diacritics."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from bot.wording import fold

MAX_CHARS = 600
_REPEAT3_RE = re.compile(r"([^\W\d_])\1{2,}", re.UNICODE)
_REPEAT2_RE = re.compile(r"([^\W\d_oOuU])\1", re.UNICODE)
_DOUBLE_RE = re.compile(r"(.)\1", re.DOTALL)  # cheap test first: any character repeated
_DIGIT_RE = re.compile(r"\d")
_WORD_RE = re.compile(r"\w+", re.UNICODE)
_DATE_RE = re.compile(r"\b(\d{1,2})\s*[/.\-]\s*(\d{1,2})(?:\s*[/.\-]\s*(\d{2,4}))?\b")
_HOUR_RE = re.compile(r"\b(\d{1,2})\s*h\s*(\d{1,2})?\b")


def has_marks(token: str) -> bool:
    """True when the token carries Vietnamese diacritics (so the accented form counts)."""
    return fold(token) != token


def clean(text: str) -> str:
    """NFC, lower case, printable only, repeated letters collapsed, dates and hours kept."""
    text = unicodedata.normalize("NFC", text[:MAX_CHARS]).lower()
    if not text.isprintable():
        text = "".join(c if c.isprintable() else " " for c in text)
    if _DOUBLE_RE.search(text) is not None:  # most texts have no repeated letters at all
        text = _REPEAT3_RE.sub(r"\1", text)
        text = _REPEAT2_RE.sub(r"\1", text)
    if _DIGIT_RE.search(text) is None:
        return text
    # Keep 26/3 and 9h30 as words before punctuation is dropped.
    if "/" in text or "." in text or "-" in text:
        text = _DATE_RE.sub(_date_word, text)
    if "h" in text:
        text = _HOUR_RE.sub(lambda m: f" {m.group(1)} giờ " + (m.group(2) or "") + " ", text)
    return text


def _date_word(m: re.Match[str]) -> str:
    year = f"_{m.group(3)}" if m.group(3) else ""
    return f" ngay_{m.group(1)}_{m.group(2)}{year} "


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
    found = _WORD_RE.findall(text)
    return [w for w in found if w != "_"] if "_" in text else found


def tokenize(text: str) -> list[Token]:
    """Cleaned syllables of raw text as :class:`Token` pairs."""
    return list(map(_token, words(clean(text))))


@lru_cache(maxsize=65536)
def _token(word: str) -> Token:
    return Token(word, fold(word))


def folded_words(text: str) -> list[str]:
    """Folded syllables of raw text (for indexing pack content)."""
    return [t.fold for t in tokenize(text)]
