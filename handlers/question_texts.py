"""What staff and citizens read about a question sent to staff: the staff notice, the answer
as the citizen receives it (quoting their question), the closing notice, and their buttons."""

from __future__ import annotations

import datetime as dt

from bot.messages import Button, one_line
from bot.notify.outbox import buttons_json
from bot.pack.models import Pack
from db.models_questions import StaffQuestionRow

CHANNELS = {"telegram": "Telegram", "zalo_oa": "Zalo OA", "zalo_bot": "Zalo Bot"}


def channel_name(channel: str) -> str:
    return CHANNELS.get(channel, "trò chuyện trên máy")


def quoted(row: StaffQuestionRow) -> str:
    """The question as one line, with the lines the citizen added."""
    text = f"“{one_line(row.text)}”"
    return text + "".join(f"\n+ “{one_line(a)}”" for a in row.additions or [])


def tried_text(pack: Pack, tried: dict[str, object]) -> str:
    """What the bot had answered before the citizen asked a person."""
    kind = str(tried.get("kind", ""))
    raw = tried.get("ids")
    ids = [str(i) for i in raw] if isinstance(raw, list | tuple) else []
    names = []
    for item in ids[:3]:
        faq = pack.faq_entry(item)
        course = pack.course(item)
        names.append(faq.question if faq else course.title if course else item)
    if kind == "fallback":
        return "chưa hiểu câu hỏi (trả lời mặc định kèm liên hệ)"
    if kind == "clarify":
        return "đưa ra lựa chọn không giúp được: " + "; ".join(names)
    if kind == "":
        return "chưa thử gì (người hỏi gửi thẳng cho cán bộ)"
    return f"đã trả lời ({kind})" + (": " + "; ".join(names) if names else "")


def notice_text(pack: Pack, row: StaffQuestionRow, tz: dt.tzinfo) -> str:
    """The staff notice of a new question: who, when, where, the question, what was tried."""
    when = row.asked_at.astimezone(tz).strftime("%d/%m/%Y %H:%M")
    return (
        f"🙋 Câu hỏi mới cho cán bộ #{row.id}\n"
        f"Người hỏi: {one_line(row.who)} · {channel_name(row.channel)} · {when}\n"
        f"{quoted(row)}\n"
        f"Bot đã thử: {tried_text(pack, row.tried or {})}\n"
        "Trả lời: bấm nút bên dưới hoặc gõ /cauhoi"
    )


def answer_text(row: StaffQuestionRow, answer: str) -> str:
    """Exactly what the citizen receives: a reply quoting their question."""
    head = f"💬 Cán bộ thư viện trả lời câu hỏi số {row.id} của bạn"
    return f"{head}\nBạn hỏi: {quoted(row)}\n\n{answer}"


def closed_text(row: StaffQuestionRow, reason: str, contact: str) -> str:
    return (
        f"📪 Câu hỏi số {row.id} của bạn đã được cán bộ đóng mà không trả lời.\n"
        f"Bạn hỏi: {quoted(row)}\nLý do: {reason}\nCần hỏi thêm, bạn liên hệ: {contact}"
    )


def staff_buttons(question_id: int) -> tuple[tuple[Button, ...], ...]:
    return (
        (Button("✍️ Trả lời", f"st:q:a:{question_id}"), Button("✖️ Đóng", f"st:q:c:{question_id}")),
    )


def notice_buttons(staff_chat: bool, question_id: int) -> list[list[list[str]]]:
    """Buttons under a staff notice: none in a staff group (buttons work in private chats)."""
    return [] if staff_chat else buttons_json(staff_buttons(question_id))
