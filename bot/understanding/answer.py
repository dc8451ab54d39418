"""The small result types of the understanding package."""

from __future__ import annotations

from dataclasses import dataclass

from bot.understanding.context import Context

KINDS: frozenset[str] = frozenset(
    {
        "faq",
        "course",
        "courses",
        "center",
        "library_hours",
        "mobile_stops",
        "clarify",
        "fallback",
        "greeting",
        "thanks",
        "help",
    }
)


@dataclass(frozen=True)
class Choice:
    """A follow-up button: which item, and its short Vietnamese label."""

    ref: str
    label: str


@dataclass(frozen=True)
class Answer:
    """One reply: its kind, the items it names, confidence, plain text and buttons."""

    kind: str
    ids: tuple[str, ...]
    score: float
    text: str
    choices: tuple[Choice, ...] = ()
    # What to remember for the next message of this person (None: nothing to keep).
    context: Context | None = None
