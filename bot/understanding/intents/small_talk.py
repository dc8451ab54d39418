"""Small talk: greetings, thanks, 'what can you do' — only when nearly nothing else is said."""

from __future__ import annotations

from bot.understanding import cues
from bot.understanding.base import EngineBase
from bot.understanding.intents.asked import NONE, Asked
from bot.understanding.parsing import _STOP_FOLDS

# The evidence of each kind when the message says nothing else.
KINDS = (
    ("greeting", cues.GREETING, 0.9),
    ("thanks", cues.THANKS, 0.92),
    ("help", cues.HELP, 0.85),
)
ASKED_OF_ME = 0.95  # 'bạn/bot/em giúp được gì': help asked of the assistant itself


def offer(engine: EngineBase, a: Asked) -> None:
    q = a.q
    for kind, phrases, score in KINDS:
        pos = q.find(phrases)
        if pos:
            # Function words that read as content once unmarked ('cho' of 'giúp gì cho mình').
            plain = {i for i in q.content if q.folds[i] in _STOP_FOLDS}
            u = engine.unexplained(q, pos | a.lib_word | plain | q.find(cues.ADDRESSEE))
            if kind == "help" and not u and q.find(cues.ADDRESSEE):
                score = ASKED_OF_ME
            a.offer(kind, f"@{kind}", score * (1 - u) ** 2, None, NONE)
