"""Personal data: what is kept and why (/quyenriengtu), and erasure on request (/xoadulieu).

Follows Vietnam's Law on Personal Data Protection 91/2025/QH15: the person is told what is kept
and for what, consents per purpose are recorded and can be withdrawn, and everything linked to
them is erased on request after one confirmation.
"""

from __future__ import annotations

from bot.messages import Button, Reply
from db.erase import describe, erase_user
from handlers import my_registrations
from handlers.context import Ctx

NOTICE = {
    "vi": (
        "🔒 Quyền riêng tư\n"
        "Theo Luật Bảo vệ dữ liệu cá nhân số 91/2025/QH15, trợ lý cho bạn biết những gì "
        "được lưu và để làm gì. Trợ lý lưu:\n"
        "• {account}, để trả lời và gửi thông báo bạn đã đăng ký;\n"
        "• câu hỏi bạn gõ, để cán bộ bổ sung câu trả lời còn thiếu; câu hỏi được lưu tách khỏi "
        "tên, tự xóa sau {days} ngày;\n"
        "• câu hỏi bạn tự gửi cán bộ (/hoicanbo) và câu trả lời, cho tới khi được trả lời, "
        "sau đó thêm {days} ngày;\n"
        "• các thông báo, lời nhắc bạn tự chọn (kèm thời điểm bạn đồng ý), và góp ý 👍/👎.\n"
        "• khi bạn tự đăng ký một lớp học: họ tên và số điện thoại, chỉ để trung tâm liên hệ "
        "về lớp đó, tự xóa {reg_days} ngày sau khi lớp kết thúc; khi bạn bấm «Báo tôi khi có "
        "lớp»: chủ đề lớp bạn cần.\n"
        "Ngoài ra trợ lý không hỏi số điện thoại, căn cước hay địa chỉ, không chia sẻ dữ liệu "
        "cho ai.\n"
        "Bạn có thể: rút lại đồng ý nhận thông báo bất cứ lúc nào bằng /thongbao hoặc /huy; "
        "xóa toàn bộ dữ liệu của mình bằng /xoadulieu.\n"
        "Đơn vị chịu trách nhiệm: {org} ({contact})."
    ),
    "en": (
        "🔒 Privacy\n"
        "Under Vietnam's Law on Personal Data Protection No. 91/2025/QH15, you are told what is "
        "kept and why. The assistant keeps:\n"
        "• {account}, to answer you and send the notices you subscribed to;\n"
        "• the questions you type, so staff can add missing answers; they are stored apart from "
        "your name and deleted after {days} days;\n"
        "• the questions you sent to staff (/hoicanbo) and their answers, until answered and "
        "then {days} more days;\n"
        "• the notices and reminders you chose (with when you agreed), and 👍/👎 feedback.\n"
        "• when you sign up for a class: your name and phone, only for the centre to contact "
        "you about it, deleted {reg_days} days after the class ends; when you press «Tell me "
        "when there is a class»: the topic you need.\n"
        "Otherwise it never asks for phone numbers, ID cards or addresses and shares nothing.\n"
        "You can withdraw consent any time with /thongbao or /huy, and erase all your data "
        "with /xoadulieu.\n"
        "Responsible: {org} ({contact})."
    ),
}
ACCOUNTS = {
    "vi": {
        "telegram": "mã tài khoản Telegram của bạn",
        "zalo_oa": "mã tài khoản Zalo của bạn",
        "zalo_bot": "mã tài khoản Zalo của bạn",
        "terminal": "mã người dùng của bạn trên máy này",
    },
    "en": {
        "telegram": "your Telegram account id",
        "zalo_oa": "your Zalo account id",
        "zalo_bot": "your Zalo account id",
        "terminal": "your user id on this computer",
    },
}


async def notice(ctx: Ctx) -> list[Reply]:
    """/quyenriengtu: the full privacy notice."""
    text = NOTICE.get(ctx.lang, NOTICE["vi"]).format(
        account=ACCOUNTS.get(ctx.lang, ACCOUNTS["vi"])[ctx.incoming.channel],
        days=ctx.app.settings.retention_days,
        reg_days=ctx.app.settings.registration_retention_days,
        org=ctx.pack.info.organisation,
        contact=ctx.pack.info.contact,
    )
    return [Reply(text)]


async def ask_erase(ctx: Ctx) -> list[Reply]:
    """/xoadulieu: ask for confirmation first."""
    text = (
        "Xóa toàn bộ dữ liệu của bạn: các đăng ký nhận thông báo, đăng ký lớp học, lời nhắc, "
        "tin chờ gửi, góp ý "
        "và các câu hỏi bạn đã hỏi (cả những chỗ chúng được trích lại)? Việc này không hoàn tác "
        "được."
        if ctx.lang != "en"
        else "Erase all your data: subscriptions, class sign-ups, reminders, pending messages, "
        "feedback and the "
        "questions you asked (wherever they were quoted)? This cannot be undone."
    )
    yes = "🗑 Xóa hết" if ctx.lang != "en" else "🗑 Erase all"
    no = "Thôi" if ctx.lang != "en" else "Cancel"
    return [Reply(text, buttons=((Button(yes, "pv:erase"), Button(no, "pv:keep")),))]


async def erase(ctx: Ctx) -> list[Reply]:
    """The confirmed erasure: everything linked to this person goes, then we say what went."""
    await my_registrations.release_all(ctx)  # their seats go to the people waiting
    counts = await erase_user(ctx.session, ctx.user, now=ctx.now)
    ctx.user_erased = True
    ctx.content_changed = ctx.content_changed or "faq_alternates" in counts
    lines = describe(counts, "en" if ctx.lang == "en" else "vi")
    head = "✅ Đã xóa dữ liệu của bạn." if ctx.lang != "en" else "✅ Your data was erased."
    if lines:
        head += " Đã xóa:" if ctx.lang != "en" else " Erased:"
    return [Reply("\n".join([head, *lines]), edit=True)]


async def keep(ctx: Ctx) -> list[Reply]:
    text = "Đã hủy, không xóa gì." if ctx.lang != "en" else "Cancelled, nothing was erased."
    return [Reply(text, edit=True)]
