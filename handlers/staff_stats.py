"""``/thongke``: the 30-day figures, with a chart (sign-ups add theirs, see
:mod:`handlers.staff_registrations`)."""

from __future__ import annotations

from bot import stats
from bot.messages import Attachment, Reply
from handlers.context import Ctx


async def statistics(ctx: Ctx) -> list[Reply]:
    """/thongke: the 30-day figures, with a chart of daily questions and the answer rate."""
    figures = await stats.collect(ctx.session, ctx.now, ctx.app.tz)
    text = stats.render_text(figures, pack_name=ctx.pack.info.name)
    chart = Attachment("thong-ke.png", stats.render_chart(figures), "photo")
    return [Reply(text, attachment=chart)]
