"""Every copy of a citizen's text: found and removed on erasure, expired with the retention.

A question a citizen types is logged (``question_log``) and may be copied: into the staff
digest (a broadcast's text), into staff dialogs (the inbox list, a new answer in progress),
into older audit details, and into the content as an FAQ phrasing staff adopted from the inbox
(recorded in ``text_provenance``). A question sent to staff (``staff_questions``) is kept
until answered, then for the retention period, with the outbox messages quoting it
(:mod:`db.questions`). :func:`erase_person_texts` removes the person's texts from all of them;
:func:`purge_expired` deletes or de-links everything older than the retention.
Functions take a session and never commit.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import one_line
from db import content as content_db
from db import questions as questions_db
from db.models import AuditRow, DialogRow, FaqAlternateRow, QuestionLogRow
from db.models_notify import BroadcastRow
from db.models_privacy import TextProvenanceRow, text_hash
from db.models_questions import StaffQuestionRow

REMOVED = "[đã xóa]"
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
DIGEST_LINE_REMOVED = "• (một câu hỏi đã được xóa theo yêu cầu của người hỏi)"


def printable(text: str) -> str:
    """A citizen's text fit for content and spreadsheets: control characters (which Excel
    files cannot hold) become spaces, runs of spaces one."""
    if not CONTROL.search(text):
        return text
    return re.sub(r" {2,}", " ", CONTROL.sub(" ", text)).strip()


def scrub(value: Any, texts: set[str]) -> tuple[Any, bool]:
    """``value`` (JSON) with each string that is one of ``texts`` replaced; and if any was."""
    if isinstance(value, str):
        return (REMOVED, True) if value.strip() in texts else (value, False)
    if isinstance(value, list):
        items = [scrub(v, texts) for v in value]
        return [v for v, _ in items], any(c for _, c in items)
    if isinstance(value, dict):
        pairs = {k: scrub(v, texts) for k, v in value.items()}
        return {k: v for k, (v, _) in pairs.items()}, any(c for _, c in pairs.values())
    return value, False


def scrub_digest(text: str, texts: set[str]) -> tuple[str, bool]:
    """A digest with the lines quoting one of ``texts`` replaced (``• text (count)``)."""
    lines, changed = [], False
    for line in text.split("\n"):
        quoted = line.startswith("• ") and line.rsplit(" (", 1)[0][2:].strip() in texts
        lines.append(DIGEST_LINE_REMOVED if quoted else line)
        changed = changed or quoted
    return "\n".join(lines), changed


async def person_texts(session: AsyncSession, user_pk: int) -> set[str]:
    """Everything the person typed that the bot kept (their logged questions)."""
    rows = await session.scalars(
        select(QuestionLogRow.text).where(QuestionLogRow.user_pk == user_pk)
    )
    texts = {t.strip() for t in rows if t and t.strip()}
    sent = await session.execute(
        select(StaffQuestionRow.text, StaffQuestionRow.additions).where(
            StaffQuestionRow.user_pk == user_pk
        )
    )
    for question, additions in sent:  # what they sent to staff, and the lines they added
        texts |= {t.strip() for t in [question, *(additions or [])] if t and t.strip()}
    return texts | {one_line(t) for t in texts}  # as typed, and as staff were shown them


async def record_provenance(
    session: AsyncSession,
    *,
    faq: str,
    kind: str,
    texts: Iterable[str],
    question_ids: Iterable[int],
    now: dt.datetime,
) -> None:
    """Remember that ``texts`` entered the content for ``faq``, and whose questions they were."""
    wanted = {one_line(t) for t in texts if t.strip()}  # as adopted: one line
    ids = list(question_ids)
    if not wanted or not ids:
        return
    rows = await session.execute(
        select(QuestionLogRow.text, QuestionLogRow.user_pk).where(QuestionLogRow.id.in_(ids))
    )
    pairs = {(one_line(t), pk) for t, pk in rows if t and one_line(t) in wanted and pk is not None}
    for text, pk in sorted(pairs):
        session.add(
            TextProvenanceRow(text_hash=text_hash(text), faq=faq, kind=kind, user_pk=pk, at=now)
        )


async def _remove_alternates(
    session: AsyncSession, user_pk: int, *, now: dt.datetime
) -> tuple[int, bool]:
    """Remove the person's adopted phrasings from every content version.

    The live content gets a new version without them (so every instance reloads); the older
    versions lose the rows in place (a rollback never brings them back). A new FAQ's title
    taken from their question stays (staff wrote the answer around it) but is de-linked.
    Returns (wordings removed, whether a new version went live).
    """
    links = (
        await session.execute(
            select(TextProvenanceRow.faq, TextProvenanceRow.text_hash).where(
                TextProvenanceRow.user_pk == user_pk, TextProvenanceRow.kind == "alternate"
            )
        )
    ).all()
    targets = {(faq, digest) for faq, digest in links}
    if not targets:
        return 0, False
    live_changed = False
    live = await content_db.current_pack(session)
    if live is not None:
        _, pack = live
        faqs = []
        for f in pack.faq:
            kept = [a for a in f.alternates if (f.id, text_hash(a)) not in targets]
            if len(kept) != len(f.alternates):
                f = f.model_copy(update={"alternates": kept})
                live_changed = True
            faqs.append(f)
        if live_changed:
            await content_db.apply_pack(
                session,
                pack.model_copy(update={"faq": faqs}),
                now=now,
                author="system",
                source="erase",
                note="Xóa cách hỏi theo yêu cầu xóa dữ liệu của người hỏi",
            )
    faq_ids = sorted({faq for faq, _ in targets})
    rows = (
        await session.execute(
            select(FaqAlternateRow.id, FaqAlternateRow.faq, FaqAlternateRow.text).where(
                FaqAlternateRow.faq.in_(faq_ids)
            )
        )
    ).all()
    found = {(i, (faq, text_hash(text))) for i, faq, text in rows}
    doomed = [i for i, key in found if key in targets]
    wordings = len({key for _, key in found if key in targets})  # each told once, not per version
    for start in range(0, len(doomed), 500):
        await session.execute(
            delete(FaqAlternateRow).where(FaqAlternateRow.id.in_(doomed[start : start + 500]))
        )
    return wordings, live_changed


async def erase_person_texts(
    session: AsyncSession, user_pk: int, *, now: dt.datetime
) -> tuple[dict[str, int], bool]:
    """Remove the person's texts from every copy; (rows touched per table, content changed).

    Run before the person's own rows are deleted (their logged questions name the texts).
    """
    counts: dict[str, int] = {}
    texts = await person_texts(session, user_pk)
    removed, content_changed = await _remove_alternates(session, user_pk, now=now)
    if removed:
        counts["faq_alternates"] = removed
    if not texts:
        return counts, content_changed
    digests = await session.scalars(select(BroadcastRow).where(BroadcastRow.kind == "digest"))
    for broadcast in digests:
        scrubbed, changed = scrub_digest(broadcast.text, texts)
        if changed:
            broadcast.text = scrubbed
            counts["broadcasts"] = counts.get("broadcasts", 0) + 1
    for audit in await session.scalars(select(AuditRow)):
        detail, changed = scrub(audit.detail, texts)
        if changed:
            audit.detail = detail
            counts["audit_log"] = counts.get("audit_log", 0) + 1
    for dialog in await session.scalars(select(DialogRow)):
        _, changed = scrub(dialog.data, texts)
        if changed:  # a staff list or draft quoting them: it goes (staff just list again)
            await session.delete(dialog)
            counts["dialogs"] = counts.get("dialogs", 0) + 1
    await session.flush()
    return counts, content_changed


async def purge_expired(session: AsyncSession, cutoff: dt.datetime) -> dict[str, int]:
    """Delete or de-link every copy of citizens' text older than ``cutoff``; counts per table."""
    counts: dict[str, int] = {}

    async def run(name: str, statement: Any) -> None:
        result = await session.execute(statement)
        counts[name] = counts.get(name, 0) + int(getattr(result, "rowcount", 0) or 0)

    await run("question_log", delete(QuestionLogRow).where(QuestionLogRow.at < cutoff))
    for name, n in (await questions_db.purge_finished(session, cutoff)).items():
        counts[name] = counts.get(name, 0) + n  # answered, closed or withdrawn long ago
    await run(
        "broadcasts",
        delete(BroadcastRow).where(
            BroadcastRow.kind == "digest", BroadcastRow.created_at < cutoff
        ),
    )
    await run("dialogs", delete(DialogRow).where(DialogRow.updated_at < cutoff))
    await run("text_provenance", delete(TextProvenanceRow).where(TextProvenanceRow.at < cutoff))
    old = await session.scalars(
        select(AuditRow).where(AuditRow.at < cutoff, AuditRow.action.like("inbox.%"))
    )
    for audit in old:
        if isinstance(audit.detail, dict) and "texts" in audit.detail:
            audit.detail = {k: v for k, v in audit.detail.items() if k != "texts"}
            counts["audit_log"] = counts.get("audit_log", 0) + 1
    await session.flush()
    return {k: v for k, v in counts.items() if v}
