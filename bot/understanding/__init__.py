"""Understanding questions: normalise Vietnamese, match the pack, decide, compute the reply."""

from bot.understanding.answer import Answer, Choice
from bot.understanding.context import Context
from bot.understanding.engine import Engine

__all__ = ["Answer", "Choice", "Context", "Engine"]
