"""Demand for classes not offered: "🙋 Báo tôi khi có lớp" under an honest "Hiện chưa có lớp X"
or under a class that has finished.

The engine's words are not changed: the reply already says "Hiện chưa có lớp <what was
asked>."; the wish (that topic, and the commune the question named) waits in a ``demand``
dialog row until the button (``dm:go``) is pressed, so nothing is recorded without the press.
When a matching class is added, :mod:`bot.notify.signups` tells them.
"""

from __future__ import annotations

import datetime as dt
import re

from bot.messages import Button, Reply
from bot.notify.subscriptions import log_consent
from bot.understanding import Answer
from bot.wording import slugify
from db import registrations as reg_db
from db import staff as staff_db
from handlers.context import Ctx

DIALOG = "demand"
PURPOSE = "báo khi có lớp học theo chủ đề"
ABSENT = re.compile(r"^Hiện chưa có lớp (?P<what>[^.\n]+)\.")
BUTTON = "🙋 Báo tôi khi có lớp"


def commune_in(ctx: Ctx, text: str) -> str:
    """The commune a question names ('lớp nuôi dê ở Đồng Phúc' → 'Xã Đồng Phúc'), or ''."""
    words = f"-{slugify(text)}-"
    for commune in sorted({c.commune for c in ctx.pack.centers}, key=len, reverse=True):
        bare = slugify(commune).split("-", 1)[-1] if " " in commune else slugify(commune)
        if f"-{bare}-" in words:
            return commune
    return ""


def wish_of(ctx: Ctx, answer: Answer, question: str) -> tuple[str, str] | None:
    """(topic, commune) to offer for: the class asked for that does not exist, or the topic
    of the one class answered when it has finished."""
    found = ABSENT.match(answer.text)
    if found is not None:
        return found.group("what").strip(), commune_in(ctx, question)
    ids = list(dict.fromkeys(answer.ids))
    if answer.kind == "course" and len(ids) == 1:
        course = ctx.pack.course(ids[0])
        if course is not None and course.end_date < ctx.now.date():
            center = ctx.pack.center(course.center)
            return course.topic, center.commune if center else ""
    return None


async def offer(ctx: Ctx, answer: Answer, question: str) -> list[tuple[Button, ...]]:
    """The button, with the wish kept for its press; nothing when there is none."""
    wish = wish_of(ctx, answer, question)
    if wish is None:
        return []
    await staff_db.put_dialog(
        ctx.session,
        ctx.incoming.channel,
        ctx.incoming.user_id,
        DIALOG,
        {"topic": wish[0], "commune": wish[1], "at": ctx.now.isoformat()},
        now=ctx.now,
    )
    return [(Button(BUTTON, "dm:go"),)]


async def press(ctx: Ctx) -> list[Reply]:
    """``dm:go``: record the wish (with the consent to be told) and say so."""
    dialog = await staff_db.get_dialog(
        ctx.session, ctx.incoming.channel, ctx.incoming.user_id, DIALOG
    )
    if dialog is None or ctx.now - dialog.updated_at > dt.timedelta(days=1):
        return [
            Reply("Nút này đã cũ. Bạn hỏi lại về lớp mình cần để bấm «🙋 Báo tôi khi có lớp».")
        ]
    topic, commune = str(dialog.data.get("topic", "")), str(dialog.data.get("commune", ""))
    await staff_db.drop_dialogs(ctx.session, ctx.incoming.channel, ctx.incoming.user_id, DIALOG)
    known = ctx.pack.topic(topic)
    name = known.name if known else topic
    where = f" ở {commune}" if commune else ""
    added = await reg_db.add_demand(
        ctx.session, user_pk=ctx.user.id, topic=topic[:120], commune=commune, now=ctx.now
    )
    if added:
        await log_consent(
            ctx.session,
            user_pk=ctx.user.id,
            action="grant",
            purpose=PURPOSE,
            now=ctx.now,
            detail=f"{topic}|{commune}",
            via=ctx.incoming.channel,
        )
    text = (
        f"✅ Trợ lý sẽ báo bạn ngay khi có lớp {name}{where}. "
        "Trung tâm cũng được biết có người đang chờ lớp này. Gõ /huy để thôi nhận tin."
    )
    return [Reply(text, notice="Đã ghi nhận")]
