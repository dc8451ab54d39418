"""The privacy texts of :data:`handlers.texts.TEXTS` (a data module feeding the one table):
the notice of /quyenriengtu, how each channel's account id is called, the erasure's words."""

from __future__ import annotations

_NOTICE_VI = (
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
)
_NOTICE_EN = (
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
)

PRIVACY_TEXTS: dict[str, dict[str, str]] = {
    "privacy_notice": {"vi": _NOTICE_VI, "en": _NOTICE_EN},
    "account_telegram": {"vi": "mã tài khoản Telegram của bạn", "en": "your Telegram account id"},
    "account_zalo_oa": {"vi": "mã tài khoản Zalo của bạn", "en": "your Zalo account id"},
    "account_zalo_bot": {"vi": "mã tài khoản Zalo của bạn", "en": "your Zalo account id"},
    "account_terminal": {
        "vi": "mã người dùng của bạn trên máy này",
        "en": "your user id on this computer",
    },
    "erase_ask": {
        "vi": "Xóa toàn bộ dữ liệu của bạn: các đăng ký nhận thông báo, đăng ký lớp học, "
        "lời nhắc, tin chờ gửi, góp ý và các câu hỏi bạn đã hỏi (cả những chỗ chúng được trích "
        "lại)? Việc này không hoàn tác được.",
        "en": "Erase all your data: subscriptions, class sign-ups, reminders, pending messages, "
        "feedback and the "
        "questions you asked (wherever they were quoted)? This cannot be undone.",
    },
    "erase_yes": {"vi": "🗑 Xóa hết", "en": "🗑 Erase all"},
    "erase_no": {"vi": "Thôi", "en": "Cancel"},
    "erased": {"vi": "✅ Đã xóa dữ liệu của bạn.", "en": "✅ Your data was erased."},
    "erased_what": {"vi": " Đã xóa:", "en": " Erased:"},
    "erase_kept": {"vi": "Đã hủy, không xóa gì.", "en": "Cancelled, nothing was erased."},
}
