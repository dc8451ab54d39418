"""Find the question in a message: long stories, corrections, several sentences.

Citizens tell a story and ask at the end ("Hôm qua tui lên thư viện … bữa ni thứ tư rồi thì thư
viện thiếu nhi chiều có mở không"), correct themselves inside one message ("tui không hỏi giờ mở
cửa, tui hỏi mượn sách …"; "không phải lớp tiếng Anh ở GDTX đâu, lớp homestay á"), or ask two
things. :func:`readings` gives the parts of a message worth answering on their own, the whole
message first; the engine answers each and keeps the best (see ``Engine.ask``).
"""

from __future__ import annotations

import re

from bot.wording import fold

# Sentences end at . ? ! ; or a line break; clauses also at commas.
_SENTENCE_RE = re.compile(r"(?<=[.?!;\n])\s*|\n+")
_CLAUSE_RE = re.compile(r"\s*,\s*")
# A message longer than this many words is read in parts as well as whole.
LONG_WORDS = 14
# Words that introduce the actual question inside a story: everything from them on is a reading.
ASK_OPENERS = (
    "cho hoi",
    "xin hoi",
    "muon hoi",
    "hoi la",
    "cho em hoi",
    "cho con hoi",
    "cho toi hoi",
    "cho tui hoi",
    "cho minh hoi",
    "cho chau hoi",
    "em hoi",
    "tui hoi",
    "toi hoi",
    "minh hoi",
    "con hoi",
)
# "không phải X (đâu|mà), Y" / "không hỏi X, hỏi Y" / "ý tôi là Y": only Y is the question.
_CORRECTION_RE = re.compile(
    r"^(?P<before>.*?)\b(?:khong phai|ko phai|k phai|chu khong phai|khong hoi|ko hoi|k hoi)\b"
    r"(?P<wrong>.*?)(?:,|\bma\b|\bdau\b|\bhoi\b)(?P<right>.+)$"
)
_LEADING_CORRECTION_RE = re.compile(
    r"(?:\b(?:khong phai|ko phai|k phai)|(?:^|\ba\s)\s*(?:khong|ko))\s*[,.]+\s*"
    r"(?:(?:toi|tui|em|minh|con|chau)\s+)?(?:hoi|muon hoi|dinh hoi)?\s*"
)
_MEANING_RE = re.compile(r"\b(?:y (?:toi|tui|em|minh|con) la|y la|toi muon noi|em muon noi)\b")


def _words(text: str) -> int:
    return len(text.split())


def correction(text: str) -> str | None:
    """The corrected question of a message that corrects itself, or None.

    Works on the original text (marks kept) by locating the folded pattern's offsets, which
    folding keeps (one character for one)."""
    folded = fold(text)
    if len(folded) != len(text):
        return None
    m = _MEANING_RE.search(folded)
    if m is not None and _words(folded[m.end() :]) >= 2:
        return text[m.end() :].strip(" ,.")
    m = _LEADING_CORRECTION_RE.search(folded)
    if m is not None and _words(folded[m.end() :]) >= 2:
        # 'lớp nấu ăn... à không phải, tui hỏi lớp nuôi dạy con cơ': what follows is meant.
        return text[m.end() :].strip(" ,.?")
    m = _CORRECTION_RE.match(folded)
    if m is None:
        return None
    right = text[m.start("right") :].strip(" ,.?")
    # "... đâu, lớp homestay á": drop a leading subject or 'mà'.
    if _words(right) < 2 or not m.group("wrong").strip():
        return None
    return right


# A clause with one of these asks something: 'có mở hông', 'học ở đâu', 'mấy giờ'.
_ASKS_RE = re.compile(
    r"\b(?:khong|hong|hok|ko|chua|nao|gi|dau|sao|bao nhieu|may gio|bao gio|khi nao"
    r"|chung nao|rang)\b|\?"
)


def asking_clauses(text: str) -> list[str]:
    """In a message of several clauses, the ones that ask something, when others do not
    ('tối nay thư viện có mở hông, tan ca tui mới ghé được': the first asks, the second tells)."""
    clauses = [c for s in _SENTENCE_RE.split(text) for c in _CLAUSE_RE.split(s)]
    parts = [(p, fold(p)) for p in (c.strip(" ,.;!") for c in clauses) if _words(p) >= 3]
    if len(parts) < 2:
        return []
    asking = [p for p, f in parts if _ASKS_RE.search(f)]
    return asking if 0 < len(asking) < len(parts) else []


def readings(text: str) -> list[str]:
    """The message, then the parts of it that may be the question on their own."""
    out = [text]
    corrected = correction(text)
    if corrected:
        return [corrected]
    if _words(text) <= LONG_WORDS:
        return list(dict.fromkeys([*out, *asking_clauses(text)]))
    sentences = [s for s in (p.strip() for p in _SENTENCE_RE.split(text)) if s]
    if len(sentences) > 1:
        out.append(sentences[-1])
        if _words(sentences[-1]) < 5 and len(sentences) > 2:
            out.append(" ".join(sentences[-2:]))
    folded = fold(text)
    if len(folded) == len(text):
        starts = [m.end() for opener in ASK_OPENERS for m in re.finditer(rf"\b{opener}\b", folded)]
        if starts:
            part = text[max(starts) :].strip(" ,.:")
            if _words(part) >= 3:
                out.append(part)
    last = sentences[-1] if sentences else text
    clauses = [c for c in _CLAUSE_RE.split(last) if c.strip()]
    if len(clauses) > 1 and _words(clauses[-1]) >= 3:
        out.append(clauses[-1])
    return list(dict.fromkeys(out))
