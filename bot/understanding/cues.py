"""General words that signal what a question is about (folded phrases, any pack).

The words are data: ``data/cues.yaml``, one list per name below, each with a comment saying what
it is for. This module names the lists (so the engine reads ``cues.HOURS``), fails at import
when one is missing or mistyped, and derives the two sets built from others (``ALL``,
``ASKING``).
"""

from __future__ import annotations

from pathlib import Path

import yaml

DATA_FILE = Path(__file__).parent / "data" / "cues.yaml"


def _load() -> dict[str, list[str]]:
    with DATA_FILE.open(encoding="utf-8") as f:
        data: dict[str, list[str]] = yaml.safe_load(f)
    bad = [
        k
        for k, v in data.items()
        if not (isinstance(v, list) and all(isinstance(w, str) for w in v))
    ]
    if bad:
        raise ValueError(f"{DATA_FILE.name}: not a list of words: {', '.join(bad)}")
    return data


_DATA = _load()


def _words(key: str) -> tuple[str, ...]:
    return tuple(_DATA.pop(key))


def _set(key: str) -> frozenset[str]:
    return frozenset(_DATA.pop(key))


HOURS: tuple[str, ...] = _words("hours")
LIBRARY: tuple[str, ...] = _words("library")
ACTIVITY_VERBS: frozenset[str] = _set("activity_verbs")
CLOSURE: tuple[str, ...] = _words("closure")
WHICH_LIBRARY: tuple[str, ...] = _words("which_library")
MOBILE: tuple[str, ...] = _words("mobile")
MOBILE_STRONG: tuple[str, ...] = _words("mobile_strong")
VAN_WHEN: tuple[str, ...] = _words("van_when")
SCHEDULE: tuple[str, ...] = _words("schedule")
COURSE: tuple[str, ...] = _words("course")
PHONE: tuple[str, ...] = _words("phone")
NOW_GIO: tuple[str, ...] = _words("now_gio")
DETAILS: tuple[str, ...] = _words("details")
SUBJECT_STOPS: frozenset[str] = _set("subject_stops")
OPENING: tuple[str, ...] = _words("opening")
WHERE: tuple[str, ...] = _words("where")
BOOKS: tuple[str, ...] = _words("books")
FEE: tuple[str, ...] = _words("fee")
UPCOMING: tuple[str, ...] = _words("upcoming")
ONGOING: tuple[str, ...] = _words("ongoing")
CENTER: tuple[str, ...] = _words("center")
GREETING: tuple[str, ...] = _words("greeting")
THANKS: tuple[str, ...] = _words("thanks")
HELP: tuple[str, ...] = _words("help")
ADDRESSEE: tuple[str, ...] = _words("addressee")
GENERIC_HEADS: tuple[str, ...] = _words("generic_heads")
AREA_HEADS: tuple[str, ...] = _words("area_heads")
STOP_PLACES: tuple[str, ...] = _words("stop_places")
GENERIC_TAILS: tuple[str, ...] = _words("generic_tails")
AFTER_LIBRARY: frozenset[str] = _set("after_library")
PAST: tuple[str, ...] = _words("past")
COMING: tuple[str, ...] = _words("coming")
TIME_WORDS: tuple[str, ...] = _words("time_words")
WHEN_ASK: tuple[str, ...] = _words("when_ask")
FOREIGN: tuple[str, ...] = _words("foreign")
PRICE_NOW: tuple[str, ...] = _words("price_now")
PRICE_UNITS: tuple[str, ...] = _words("price_units")
NOT_PRICE: tuple[str, ...] = _words("not_price")

if _DATA:  # a list in the file that no name reads is a typo in its key
    raise ValueError(f"{DATA_FILE.name}: unknown lists: {', '.join(sorted(_DATA))}")

# The kinds' cue lists together: general words the engine knows besides the pack's own.
ALL: tuple[tuple[str, ...], ...] = (
    HOURS,
    LIBRARY,
    MOBILE,
    SCHEDULE,
    COURSE,
    FEE,
    UPCOMING,
    ONGOING,
    CENTER,
    GREETING,
    THANKS,
    HELP,
    GENERIC_HEADS,
)


# Words that only say what is asked (hours, when, where, how much, which class), not what about:
# a message made of them alone leans on the last answer ('mấy giờ', 'học phí bao nhiêu').
def _asking() -> frozenset[str]:
    groups = (
        HOURS,
        WHEN_ASK,
        WHERE,
        FEE,
        SCHEDULE,
        ONGOING,
        UPCOMING,
        TIME_WORDS,
        COURSE,
        DETAILS,
    )
    return frozenset(w for group in groups for p in group for w in p.split())


ASKING: frozenset[str] = _asking()
