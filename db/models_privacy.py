"""Models of personal-data bookkeeping (registered on db.models.Base).

``text_provenance`` remembers which FAQ phrasings staff adopted from citizens' questions (the
unanswered inbox's "add as alternate" and "new answer"), and whose questions they were. It holds
a hash of the text, never the text, so it is not one more copy: erasure (``/xoadulieu``) finds
the person's phrasings through it and removes them from every content version, and the
retention purge deletes the links after ``HOCTAP_RETENTION_DAYS`` (the phrasing then stays as
anonymous content).
"""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from db.models import AwareDateTime, Base


def text_hash(text: str) -> str:
    """The key of a citizen's text: sha256 of the stripped text, hex."""
    return hashlib.sha256(text.strip().encode()).hexdigest()


class TextProvenanceRow(Base):
    """A phrasing in the content that came from a citizen's question: which FAQ, whose."""

    __tablename__ = "text_provenance"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    text_hash: Mapped[str] = mapped_column(String(64), index=True)
    faq: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(16))  # "alternate" or "question" (a new FAQ)
    user_pk: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[dt.datetime] = mapped_column(AwareDateTime(), index=True)
