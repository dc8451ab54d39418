"""Staff announcements in the chat: ``/thongbaomoi`` walks through title, text, audience and
time, shows the message exactly as citizens will see it, and schedules it in the outbox.
``/guitin`` shows delivery progress and cancels what has not gone out yet.

The dialog's state is a database row (kind ``announce``), so any instance can take the next
step. Button data: ``st:an:…``.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Awaitable, Callable

from bot.messages import Button, Reply
from bot.notify.outbox import URGENT, counts, create_broadcast
from bot.notify.subscriptions import audience_filter, subscribers
from db import broadcasts as broadcasts_db
from db import staff as staff_db
from db.models_notify import BroadcastRow
from handlers import dialogs
from handlers.context import Ctx
from handlers.dialogs import Announcement

KIND = "announce"
MAX_TITLE = 120
MAX_BODY = 3000
WHEN_RE = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{4}))?\s+(\d{1,2})[:h](\d{2})\s*$")


def _text(title: str, body: str) -> str:
    """How an announcement reads to citizens (the same form as the pack's announcements)."""
    return f"**📢 {title}**\n{body}"  # a whole bold line: bold where the platform can


async def _state(ctx: Ctx) -> Announcement | None:
    """The announcement being written; one stored unreadably (another version's) is none."""
    data = await dialogs.load_data(ctx, KIND)
    return Announcement.from_data(data) if data is not None else None


async def _save(ctx: Ctx, data: Announcement) -> None:
    await dialogs.save_data(ctx, KIND, data.to_data())


async def start(ctx: Ctx) -> list[Reply]:
    """/thongbaomoi: begin a new announcement."""
    await _save(ctx, Announcement(step="title"))
    return [Reply("📢 Thông báo mới. Gõ tiêu đề (hoặc /huybo để thôi):")]


def _communes(ctx: Ctx) -> list[str]:
    names = {c.commune for c in ctx.pack.centers} | {s.commune for s in ctx.pack.stops}
    return sorted(names)


def _audience_reply(ctx: Ctx, data: Announcement) -> Reply:
    topics = set(data.topics)
    communes = set(data.communes)
    everyone = not topics and not communes
    rows = [(Button(("✅ " if everyone else "⬜ ") + "Mọi người đăng ký", "st:an:a"),)]
    for n, topic in enumerate(ctx.pack.topics[:20]):
        mark = "✅ " if topic.id in topics else "⬜ "
        rows.append((Button(mark + topic.name, f"st:an:t:{n}"),))
    for n, commune in enumerate(_communes(ctx)[:20]):
        mark = "✅ " if commune in communes else "⬜ "
        rows.append((Button(mark + commune, f"st:an:c:{n}"),))
    rows.append((Button("Tiếp ➡️", "st:an:ok"),))
    text = (
        "Gửi cho ai? Chọn chủ đề và/hoặc xã (người đăng ký các mục đó và người nhận mọi thông "
        "báo sẽ nhận được); không chọn gì là gửi mọi người đăng ký."
    )
    return Reply(text, buttons=tuple(rows), edit=True)


def _when_reply() -> Reply:
    text = (
        "Gửi lúc nào? Bấm “Gửi ngay”, hoặc gõ ngày giờ, ví dụ 25/12 08:00 hoặc 25/12/2026 08:00."
    )
    return Reply(text, buttons=((Button("Gửi ngay", "st:an:now"),),), edit=True)


async def _preview(ctx: Ctx, data: Announcement) -> list[Reply]:
    audience = audience_filter(data.topics, data.communes)
    reach = len(await subscribers(ctx.session, audience))
    when = dt.datetime.fromisoformat(str(data.when)).astimezone(ctx.app.tz)
    quiet = ctx.app.settings.notify
    goes = quiet.out_of_quiet(max(when, ctx.now))
    intro = (
        f"Xem trước: sẽ gửi lúc {goes:%H:%M %d/%m/%Y} tới {reach} người (tính đến bây giờ). "
        "Tin nhắn người dân nhận được:"
    )
    preview = Reply(_text(str(data.title), str(data.body)))
    row = [Button("✅ Lên lịch gửi", "st:an:go")]
    question = "Xác nhận gửi?"
    if goes > max(when, ctx.now):  # in quiet hours: say so, and offer to send anyway
        question = (
            f"Lúc {when:%H:%M} đang trong giờ yên lặng ({quiet.quiet_start:%H:%M}–"
            f"{quiet.quiet_end:%H:%M}), nên tin sẽ đi lúc {goes:%H:%M %d/%m}. "
            "Nếu việc gấp, bấm “Gửi khẩn” để gửi ngay cả trong giờ yên lặng."
        )
        row.append(Button("🚨 Gửi khẩn", "st:an:urgent"))
    confirm = Reply(question, buttons=(tuple(row), (Button("✖️ Hủy", "st:an:x"),)))
    return [Reply(intro), preview, confirm]


def _parse_when(ctx: Ctx, value: str) -> dt.datetime | None:
    match = WHEN_RE.match(value)
    if not match:
        return None
    day, month, year, hour, minute = match.groups()
    try:
        when = dt.datetime(
            int(year or ctx.now.year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            tzinfo=ctx.app.tz,
        )
    except ValueError:
        return None
    if year is None and when < ctx.now - dt.timedelta(days=1):
        when = when.replace(year=when.year + 1)  # "05/01" typed in December means next year
    return when


async def _typed_title(ctx: Ctx, data: Announcement, text: str) -> list[Reply]:
    if len(text) > MAX_TITLE:
        return [Reply(f"Tiêu đề dài quá (tối đa {MAX_TITLE} ký tự). Gõ lại:")]
    data.step, data.title = "body", text
    await _save(ctx, data)
    return [Reply("Gõ nội dung thông báo:")]


async def _typed_body(ctx: Ctx, data: Announcement, text: str) -> list[Reply]:
    if len(text) > MAX_BODY:
        return [Reply(f"Nội dung dài quá (tối đa {MAX_BODY} ký tự). Gõ lại:")]
    data.step, data.body = "audience", text
    await _save(ctx, data)
    return [_audience_reply(ctx, data)]


async def _typed_when(ctx: Ctx, data: Announcement, text: str) -> list[Reply]:
    when = _parse_when(ctx, text)
    if when is None or when < ctx.now - dt.timedelta(minutes=1):
        return [
            Reply("Chưa hiểu thời điểm (hoặc đã qua). Gõ ví dụ 25/12 08:00, hoặc bấm Gửi ngay.")
        ]
    data.step, data.when = "confirm", when.isoformat()
    await _save(ctx, data)
    return await _preview(ctx, data)


# The steps that take typed text (audience and confirm take buttons): {step: handler}.
TYPED_STEPS: dict[str, Callable[[Ctx, Announcement, str], Awaitable[list[Reply]]]] = {
    "title": _typed_title,
    "body": _typed_body,
    "when": _typed_when,
}


async def dialog_text(ctx: Ctx, text: str) -> list[Reply] | None:
    """Typed text for the announcement being written, or None when none is."""
    data = await _state(ctx)
    step = TYPED_STEPS.get(data.step) if data is not None else None
    if data is None or step is None:
        return None
    return await step(ctx, data, text)


async def button(ctx: Ctx, args: list[str]) -> list[Reply]:
    """``st:an:…`` buttons (the caller has checked the role)."""
    action = args[0] if args else ""
    if action == "cancel" and len(args) > 1 and args[1].isdecimal():
        return await _cancel(ctx, int(args[1]))
    data = await _state(ctx)
    if data is None:
        return [Reply("Không có thông báo nào đang soạn. Gõ /thongbaomoi để bắt đầu.")]
    topics = list(data.topics)
    communes = list(data.communes)
    if action == "a":
        data.topics, data.communes = [], []
    elif action in ("t", "c") and len(args) > 1 and args[1].isdecimal():
        pool = [t.id for t in ctx.pack.topics] if action == "t" else _communes(ctx)
        chosen = topics if action == "t" else communes
        index = int(args[1])
        if index < len(pool):
            item = pool[index]
            chosen.remove(item) if item in chosen else chosen.append(item)
        data.topics, data.communes = topics, communes
    elif action == "ok":
        data.step = "when"
        await _save(ctx, data)
        return [_when_reply()]
    elif action == "now":
        data.step, data.when = "confirm", ctx.now.isoformat()
        await _save(ctx, data)
        return await _preview(ctx, data)
    elif action == "go" and data.step == "confirm":
        return await _schedule(ctx, data)
    elif action == "urgent" and data.step == "confirm":
        return await _schedule(ctx, data, urgent=True)
    elif action == "x":
        await staff_db.drop_dialogs(ctx.session, ctx.incoming.channel, ctx.incoming.user_id, KIND)
        return [Reply("Đã hủy thông báo.", edit=True)]
    else:
        return [Reply("Nút này không còn dùng được.")]
    await _save(ctx, data)
    return [_audience_reply(ctx, data)]


async def _schedule(ctx: Ctx, data: Announcement, *, urgent: bool = False) -> list[Reply]:
    audience = audience_filter(data.topics, data.communes)
    recipients = await subscribers(ctx.session, audience)
    when = dt.datetime.fromisoformat(str(data.when))
    # unique per announcement (two in the same second are two); a second press of the button
    # finds no dialog, so it cannot schedule twice
    source = f"staff:{ctx.incoming.user_key}:{ctx.now.isoformat()}:{uuid.uuid4().hex[:8]}"
    broadcast_id = await create_broadcast(
        ctx.session,
        source=source,
        kind=URGENT if urgent else "announcement",
        title=str(data.title),
        text=_text(str(data.title), str(data.body)),
        recipients=recipients,
        due_at=max(when, ctx.now),
        now=ctx.now,
    )
    await staff_db.drop_dialogs(ctx.session, ctx.incoming.channel, ctx.incoming.user_id, KIND)
    detail = {
        "broadcast": broadcast_id,
        "title": data.title,
        "recipients": len(recipients),
        "due_at": str(data.when),
        "topics": data.topics,
        "communes": data.communes,
        "urgent": urgent,
    }
    await staff_db.audit(
        ctx.session, ctx.incoming.user_key, "announcement.schedule", detail, now=ctx.now
    )
    goes = (
        max(when, ctx.now) if urgent else ctx.app.settings.notify.out_of_quiet(max(when, ctx.now))
    )
    return [
        Reply(
            f"✅ Đã lên lịch gửi tới {len(recipients)} người"
            f"{' (khẩn)' if urgent else ''}, lúc {goes.astimezone(ctx.app.tz):%H:%M %d/%m}. "
            "Xem tiến độ hoặc hủy: /guitin",
            edit=True,
        )
    ]


async def progress(ctx: Ctx) -> list[Reply]:
    """/guitin: recent broadcasts with sent / pending / failed / skipped, and cancel buttons."""
    rows = await broadcasts_db.recent(ctx.session, 8)
    if not rows:
        return [Reply("Chưa có đợt gửi tin nào.")]
    tally = await counts(ctx.session, [b.id for b in rows])
    lines = ["Các đợt gửi gần đây:"]
    buttons = []
    for b in rows:
        c = tally.get(b.id, {})
        when = b.due_at.astimezone(ctx.app.tz).strftime("%H:%M %d/%m")
        lines.append(
            f"• {b.id}. {b.title or b.kind} ({when}, {b.status}): đã gửi {c.get('sent', 0)}, "
            f"chờ {c.get('pending', 0) + c.get('sending', 0)}, lỗi {c.get('failed', 0)}, "
            f"bỏ qua {c.get('skipped', 0)}"
        )
        if b.status == "running" and may_cancel(ctx.role, b):
            buttons.append((Button(f"Hủy đợt {b.id}", f"st:an:cancel:{b.id}"),))
    return [Reply("\n".join(lines), buttons=tuple(buttons))]


def may_cancel(role: str | None, broadcast: BroadcastRow) -> bool:
    """Staff announcements: any staff member; what the system sends (reminders, change
    notices, the digest): admins only. Checked here, whatever button data arrives."""
    if broadcast.source.startswith("staff:"):
        return role in ("admin", "editor")
    return role == "admin"


async def _cancel(ctx: Ctx, broadcast_id: int) -> list[Reply]:
    broadcast = await broadcasts_db.get(ctx.session, broadcast_id)
    if broadcast is None or broadcast.status != "running":
        return [Reply("Đợt gửi này không còn hủy được.")]
    if not may_cancel(ctx.role, broadcast):
        return [
            Reply("Đợt này do hệ thống gửi (nhắc lịch, báo thay đổi); chỉ quản trị viên hủy được.")
        ]
    before = (await counts(ctx.session, [broadcast_id]))[broadcast_id]
    stopped = await broadcasts_db.skip_pending(ctx.session, broadcast_id, error="cán bộ đã hủy")
    broadcast.status = "cancelled"  # the outbox claims nothing more of it, nor requeues
    broadcast.reason = f"hủy bởi {ctx.incoming.user_key}"
    broadcast.finished_at = ctx.now
    await staff_db.audit(
        ctx.session,
        ctx.incoming.user_key,
        "announcement.cancel",
        {"broadcast": broadcast_id},
        now=ctx.now,
    )
    lines = [f"Đã hủy đợt {broadcast_id}: {stopped} tin chưa gửi sẽ không gửi nữa."]
    if before.get("sending"):
        lines.append(f"{before['sending']} tin đang được gửi đúng lúc này nên có thể vẫn đến.")
    if before.get("sent"):
        lines.append(f"{before['sent']} tin đã gửi trước đó.")
    return [Reply(" ".join(lines))]
