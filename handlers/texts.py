"""The bot's own words, in Vietnamese (default) and English (``/lang en``).

Content (course titles, FAQ answers) stays in the language staff wrote it in.
"""

from __future__ import annotations

from handlers.texts_privacy import PRIVACY_TEXTS

TEXTS: dict[str, dict[str, str]] = {
    "welcome": {
        "vi": "Xin chào! Đây là {name} của {org}.\n"
        "Bạn có thể hỏi về lớp học, giờ mở cửa thư viện, lịch xe thư viện lưu động "
        "hoặc chọn trong menu bên dưới.",
        "en": "Hello! This is {name} of {org}.\n"
        "Ask about classes, library opening hours or the mobile library van, "
        "or pick from the menu below.",
    },
    "privacy_short": {
        "vi": "🔒 Bot chỉ lưu câu hỏi (để cải thiện câu trả lời) và các thông báo bạn tự đăng ký; "
        "gõ /quyenriengtu để biết thêm, /xoadulieu để xóa.",
        "en": "🔒 The bot keeps only your questions (to improve answers) and the notices you opt "
        "into; /quyenriengtu tells more, /xoadulieu erases them.",
    },
    "help": {
        "vi": "Bạn cứ gõ câu hỏi bình thường, có dấu hay không dấu đều được, ví dụ:\n"
        "• thư viện tỉnh mấy giờ mở cửa\n"
        "• xe thư viện ngày mai đi đâu\n"
        "• có lớp tin học nào không\n"
        "• làm thẻ thư viện cần gì\n"
        "Lệnh nhanh: /lophoc lớp học, /giomocua giờ mở cửa, /xethuvien xe thư viện, "
        "/hoidap hỏi đáp, /thongbao nhận thông báo, /lang ngôn ngữ.",
        "en": "Just type your question, with or without Vietnamese accents, for example:\n"
        "• thư viện tỉnh mấy giờ mở cửa (library hours)\n"
        "• xe thư viện ngày mai đi đâu (where is the van tomorrow)\n"
        "• có lớp tin học nào không (computer classes)\n"
        "Shortcuts: /lophoc classes, /giomocua library hours, /xethuvien mobile library, "
        "/hoidap FAQ, /thongbao notifications, /lang language.",
    },
    "help_location_share": {
        "vi": "Gửi vị trí của bạn để tìm điểm xe thư viện và trung tâm gần nhất.",
        "en": "Share your location to find the nearest van stop and centre.",
    },
    "help_location_type": {
        "vi": "Gõ /location VĨ_ĐỘ KINH_ĐỘ (ví dụ /location 22.15 105.83) để tìm điểm xe thư viện "
        "và trung tâm gần nhất.",
        "en": "Type /location LAT LON (e.g. /location 22.15 105.83) to find the nearest van stop "
        "and centre.",
    },
    "help_numbers": {
        "vi": "Với các lựa chọn có đánh số, bạn gõ số tương ứng để chọn.",
        "en": "Where choices are numbered, type the number to pick one.",
    },
    "choice_range": {
        "vi": "Bạn chọn từ 1 đến {last} nhé.",
        "en": "Please pick a number from 1 to {last}.",
    },
    "menu": {"vi": "Bạn muốn tìm gì?", "en": "What are you looking for?"},
    "menu_courses": {"vi": "📚 Lớp học", "en": "📚 Classes"},
    "menu_hours": {"vi": "🕘 Giờ mở cửa thư viện", "en": "🕘 Library hours"},
    "menu_van": {"vi": "🚐 Xe thư viện lưu động", "en": "🚐 Mobile library"},
    "menu_faq": {"vi": "❓ Hỏi đáp", "en": "❓ FAQ"},
    "menu_notify": {"vi": "🔔 Nhận thông báo", "en": "🔔 Notifications"},
    "back": {"vi": "⬅️ Quay lại", "en": "⬅️ Back"},
    "main_menu": {"vi": "🏠 Menu chính", "en": "🏠 Main menu"},
    "more": {"vi": "Xem thêm ➡️", "en": "More ➡️"},
    "pick_topic": {"vi": "Chọn chủ đề lớp học:", "en": "Pick a topic:"},
    "no_topics": {"vi": "Hiện chưa có lớp học nào.", "en": "There are no classes yet."},
    "pick_library": {"vi": "Chọn thư viện:", "en": "Pick a library:"},
    "no_libraries": {"vi": "Chưa có thông tin thư viện.", "en": "No libraries yet."},
    "pick_commune": {
        "vi": "Các lần xe thư viện ghé sắp tới:\n{schedule}\n\nChọn xã để xem lịch riêng:",
        "en": "The van's next visits:\n{schedule}\n\nPick a commune for its own schedule:",
    },
    "no_visits": {
        "vi": "Chưa có lịch xe thư viện trong thời gian tới.",
        "en": "No van visits are scheduled yet.",
    },
    "commune_visits": {
        "vi": "🚐 Lịch xe thư viện ở {commune}:",
        "en": "🚐 Van visits in {commune}:",
    },
    "pick_faq": {"vi": "Câu hỏi thường gặp:", "en": "Frequently asked questions:"},
    "clarify": {
        "vi": "Mình chưa chắc bạn hỏi điều nào, bạn chọn giúp nhé:",
        "en": "I'm not sure which one you mean, please pick:",
    },
    "fallback_menu": {
        "vi": "Bạn cũng có thể chọn trong menu:",
        "en": "You can also pick from the menu:",
    },
    "unsupported": {
        "vi": "Xin lỗi, mình chỉ đọc được tin nhắn chữ. Bạn gõ câu hỏi giúp mình nhé, "
        "hoặc gửi vị trí để tìm điểm xe thư viện gần nhất.",
        "en": "Sorry, I can only read text. Please type your question, or share your location "
        "to find the nearest van stop.",
    },
    "document_citizen": {
        "vi": "Xin lỗi, mình chỉ đọc được tin nhắn chữ, không mở được tệp. "
        "Bạn gõ câu hỏi giúp mình nhé.",
        "en": "Sorry, I can only read text messages, not files. Please type your question.",
    },
    "empty": {
        "vi": "Bạn chưa gõ gì cả. Gõ câu hỏi hoặc /help để xem hướng dẫn nhé.",
        "en": "That message was empty. Type a question, or /help for help.",
    },
    "error": {
        "vi": "Xin lỗi, mình đang gặp trục trặc. Bạn thử lại sau ít phút nhé.",
        "en": "Sorry, something went wrong on our side. Please try again in a few minutes.",
    },
    "private_only": {
        "vi": "Chào bạn! Để giữ riêng tư cho mọi người, mình chỉ trò chuyện trong tin nhắn "
        "riêng. Bạn bấm vào tên mình rồi nhắn trực tiếp nhé.",
        "en": "Hello! To keep everyone's data private, I only chat in private messages. "
        "Tap my name and message me directly.",
    },
    "lang_pick": {"vi": "Chọn ngôn ngữ / Choose a language:", "en": "Choose a language:"},
    "lang_set": {"vi": "Đã chuyển sang tiếng Việt.", "en": "Switched to English."},
    "thanks_feedback": {"vi": "Cảm ơn bạn đã góp ý!", "en": "Thanks for the feedback!"},
    "feedback_bad": {
        "vi": "Cảm ơn bạn! Cán bộ thư viện sẽ xem lại câu trả lời này. "
        "Cần gấp, bạn liên hệ: {contact}",
        "en": "Thank you! Staff will review this answer. If urgent, contact: {contact}",
    },
    "helpful": {"vi": "👍 Hữu ích", "en": "👍 Helpful"},
    "not_helpful": {"vi": "👎 Chưa đúng", "en": "👎 Not right"},
    "stale_button": {
        "vi": "Mục này không còn nữa (nội dung vừa được cập nhật).",
        "en": "That item is gone (the content was just updated).",
    },
    "location_result": {
        "vi": "📍 Gần bạn nhất:",
        "en": "📍 Nearest to you:",
    },
    "location_far": {
        "vi": "📍 Vị trí này ở ngoài khu vực bot phục vụ: nơi gần nhất cũng cách {km}. "
        "Các điểm gần nhất:",
        "en": "📍 This place is outside the area the bot serves: the nearest is {km} away. "
        "The nearest places:",
    },
    "location_stop": {
        "vi": "🚐 Điểm xe thư viện: {place}, cách {km}. Lần tới: {when}.",
        "en": "🚐 Van stop: {place}, {km} away. Next visit: {when}.",
    },
    "location_place": {
        "vi": "🏫 {name}: {address}, cách {km}.",
        "en": "🏫 {name}: {address}, {km} away.",
    },
    "location_none": {
        "vi": "Chưa có địa điểm nào có tọa độ để so khoảng cách.",
        "en": "No place has coordinates to compare distances yet.",
    },
    "location_bad": {
        "vi": "Vị trí không hợp lệ. Dùng: /location VĨ_ĐỘ KINH_ĐỘ, ví dụ /location 22.15 105.83",
        "en": "That location is not valid. Use: /location LAT LON, e.g. /location 22.15 105.83",
    },
    "flood": {
        "vi": "Bạn gửi nhanh quá, mình chưa kịp đọc hết. "
        "Bạn chờ khoảng một phút rồi hỏi tiếp nhé.",
        "en": "You are sending messages very fast. Please wait about a minute, then ask again.",
    },
    "menu_ask": {"vi": "🙋 Hỏi cán bộ", "en": "🙋 Ask a person"},
    "ask_this": {"vi": "🙋 Gửi câu hỏi này cho cán bộ", "en": "🙋 Send this question to staff"},
    "ask_none_fit": {
        "vi": "🙋 Không phải các mục trên: hỏi cán bộ",
        "en": "🙋 None of these: ask a person",
    },
    "ask_type": {
        "vi": "Bạn gõ câu hỏi muốn gửi cán bộ thư viện nhé (tối đa {limit} ký tự). "
        "Cán bộ sẽ trả lời ngay trong cuộc trò chuyện này.",
        "en": "Type the question you want to send to the library staff (at most {limit} "
        "characters). They will answer right here in this chat.",
    },
    "ask_confirm": {
        "vi": "Gửi câu hỏi này cho cán bộ thư viện?\n“{text}”\n\n"
        "🔒 Bot sẽ lưu câu hỏi này và cách trả lời lại bạn (cuộc trò chuyện này) cho tới khi "
        "cán bộ trả lời, sau đó thêm {days} ngày rồi xóa. Bạn rút lại được bất cứ lúc nào; "
        "/xoadulieu xóa hết.\n"
        "🕘 Cán bộ trả lời trong giờ làm việc{hours}. Liên hệ: {contact}.",
        "en": "Send this question to the library staff?\n“{text}”\n\n"
        "🔒 The bot keeps this question and how to reach you (this chat) until staff answer, "
        "then {days} more days before deleting it. You can withdraw it at any time; "
        "/xoadulieu erases everything.\n"
        "🕘 Staff answer during working hours{hours}. Contact: {contact}.",
    },
    "ask_send": {"vi": "✅ Gửi cho cán bộ", "en": "✅ Send to staff"},
    "ask_cancel": {"vi": "✖️ Thôi", "en": "✖️ Never mind"},
    "ask_cancelled": {
        "vi": "Đã thôi, câu hỏi chưa được gửi.",
        "en": "Cancelled: the question was not sent.",
    },
    "ask_sent": {
        "vi": "✅ Đã gửi câu hỏi số {id} cho cán bộ. Câu trả lời sẽ đến trong cuộc trò chuyện "
        "này, trong giờ làm việc. Bạn có thể bổ sung, xem hoặc rút lại câu hỏi bằng các nút "
        "bên dưới hoặc lệnh /hoicanbo.",
        "en": "✅ Question no. {id} was sent to staff. The answer will come in this chat, "
        "during working hours. Add to it, see it or withdraw it with the buttons below or "
        "/hoicanbo.",
    },
    "ask_too_many": {
        "vi": "Bạn đang có {n} câu hỏi chờ cán bộ trả lời, đó là mức tối đa. Bạn chờ cán bộ "
        "trả lời, hoặc rút lại một câu, rồi gửi câu mới nhé.",
        "en": "You already have {n} questions waiting for staff, the most allowed. Wait for "
        "an answer or withdraw one, then send a new one.",
    },
    "ask_too_long": {
        "vi": "Câu hỏi dài quá ({n} ký tự). Bạn viết gọn lại trong {limit} ký tự giúp mình nhé.",
        "en": "That is too long ({n} characters). Please keep it within {limit}.",
    },
    "ask_nothing": {
        "vi": "Mình chưa thấy câu hỏi nào của bạn mà bot chưa trả lời được. Bạn gõ "
        "/hoicanbo rồi câu hỏi nhé, ví dụ: /hoicanbo thư viện có cho thuê phòng họp không?",
        "en": "There is no recent question the bot could not answer. Type /hoicanbo and your "
        "question, e.g. /hoicanbo can I rent a meeting room?",
    },
    "ask_expired": {
        "vi": "Câu hỏi đang soạn đã hết hạn. Bạn gõ /hoicanbo để gửi lại nhé.",
        "en": "The question you were writing has expired. Type /hoicanbo to start again.",
    },
    "ask_add": {"vi": "➕ Bổ sung", "en": "➕ Add a line"},
    "ask_withdraw": {"vi": "↩️ Rút lại", "en": "↩️ Withdraw"},
    "ask_mine": {"vi": "📋 Câu hỏi của tôi", "en": "📋 My questions"},
    "ask_new": {"vi": "🙋 Hỏi câu mới", "en": "🙋 Ask a new one"},
    "ask_add_type": {
        "vi": "Bạn gõ điều muốn bổ sung cho câu hỏi số {id} nhé.",
        "en": "Type what you want to add to question no. {id}.",
    },
    "ask_added": {
        "vi": "Đã bổ sung vào câu hỏi số {id}; cán bộ sẽ thấy cả hai.",
        "en": "Added to question no. {id}; staff will see both.",
    },
    "ask_add_full": {
        "vi": "Câu hỏi số {id} đã có đủ {n} lần bổ sung. Nếu cần, bạn gửi một câu hỏi mới nhé.",
        "en": "Question no. {id} already has {n} additions. Send a new question if needed.",
    },
    "ask_not_open": {
        "vi": "Câu hỏi số {id} không còn chờ trả lời nữa (đã được trả lời, đóng hoặc rút lại).",
        "en": "Question no. {id} is no longer waiting (answered, closed or withdrawn).",
    },
    "ask_withdrawn": {
        "vi": "Đã rút lại câu hỏi số {id}. Cán bộ sẽ không trả lời câu này nữa.",
        "en": "Question no. {id} was withdrawn. Staff will not answer it.",
    },
    "ask_list_none": {
        "vi": "Bạn chưa gửi câu hỏi nào cho cán bộ.",
        "en": "You have not sent any question to staff.",
    },
    "ask_list": {"vi": "Câu hỏi bạn đã gửi cán bộ:", "en": "Your questions to staff:"},
    "ask_state_open": {"vi": "đang chờ cán bộ trả lời", "en": "waiting for staff"},
    "ask_state_answered": {"vi": "đã trả lời", "en": "answered"},
    "ask_state_closed": {"vi": "đã đóng", "en": "closed"},
    "ask_state_withdrawn": {"vi": "đã rút lại", "en": "withdrawn"},
    # subscriptions and reminders (handlers.subscriptions)
    "notify_menu": {
        "vi": "🔔 Chọn thông báo bạn muốn nhận (bấm để bật ✅ / tắt ⬜).\n"
        "Bấm bật nghĩa là bạn đồng ý nhận tin của mục đó qua bot; bấm lại để tắt, "
        "hoặc gõ /huy để dừng tất cả.",
        "en": "🔔 Pick the notices you want (press to turn on ✅ / off ⬜).\n"
        "Turning one on means you agree to receive those messages; press again to turn it off, "
        "or type /huy to stop everything.",
    },
    "notify_all": {"vi": "Tất cả thông báo", "en": "All announcements"},
    "notify_stop_all": {"vi": "🔕 Dừng tất cả", "en": "🔕 Stop everything"},
    "notify_on": {"vi": "Đã bật: {what}", "en": "On: {what}"},
    "notify_off": {"vi": "Đã tắt: {what}", "en": "Off: {what}"},
    "notify_stopped": {
        "vi": "🔕 Đã dừng tất cả: hủy {subs} đăng ký và {rems} nhắc lịch. "
        "Bot sẽ không gửi tin nào cho bạn nữa, trừ khi bạn đăng ký lại bằng /thongbao.",
        "en": "🔕 Stopped everything: {subs} subscriptions and {rems} reminders removed. "
        "The bot will not message you unless you subscribe again with /thongbao.",
    },
    "remind_button": {"vi": "⏰ Nhắc tôi", "en": "⏰ Remind me"},
    "remind_set": {
        "vi": "⏰ Đã đặt nhắc lịch «{title}» ({day}).\nBot sẽ nhắc bạn: {when}.",
        "en": "⏰ Reminder set for «{title}» ({day}).\nThe bot will remind you: {when}.",
    },
    "remind_again": {
        "vi": "⏰ Bạn đã đặt nhắc lịch «{title}» ({day}) rồi.\nBot sẽ nhắc bạn: {when}.",
        "en": "⏰ You already have a reminder for «{title}» ({day}).\nIt comes: {when}.",
    },
    "remind_late": {
        "vi": "⏰ Đã đặt nhắc lịch «{title}» ({day}), nhưng giờ nhắc đã qua.",
        "en": "⏰ Reminder set for «{title}» ({day}), but its time has already passed.",
    },
    "remind_none": {
        "vi": "Mục này không còn buổi nào sắp tới để nhắc.",
        "en": "There is nothing ahead to remind you of.",
    },
    "remind_cancel": {"vi": "Hủy nhắc", "en": "Cancel reminder"},
    "remind_mine": {
        "vi": "⏰ Nhắc lịch của bạn (bấm để hủy):",
        "en": "⏰ Your reminders (press one to cancel it):",
    },
    "remind_mine_none": {
        "vi": "Bạn chưa đặt nhắc lịch nào. Bấm «⏰ Nhắc tôi» dưới một lớp học hoặc một điểm "
        "xe thư viện để được nhắc trước.",
        "en": "You have no reminders. Press «⏰ Remind me» under a class or a van stop "
        "to get one.",
    },
    "remind_mine_other": {
        "vi": "Bạn chưa đặt nhắc lịch {what} nào. Các nhắc lịch khác của bạn (bấm để hủy):",
        "en": "You have no {what} reminders. Your other reminders (press one to cancel it):",
    },
    "remind_what_stop": {"vi": "xe thư viện", "en": "van"},
    "remind_what_course": {"vi": "lớp học", "en": "class"},
    "remind_mine_cancel": {"vi": "❌ Hủy: {title}", "en": "❌ Cancel: {title}"},
    "remind_cancelled": {"vi": "Đã hủy nhắc lịch.", "en": "Reminder cancelled."},
    "remind_gone": {"vi": "Nhắc lịch này không còn.", "en": "That reminder no longer exists."},
}
# The long privacy texts live in their data module; one table all the same (keys never shared).
assert not TEXTS.keys() & PRIVACY_TEXTS.keys()
TEXTS.update(PRIVACY_TEXTS)


def t(key: str, lang: str, **values: object) -> str:
    """The text ``key`` in ``lang`` (Vietnamese when missing), with ``values`` filled in."""
    entry = TEXTS[key]
    text = entry.get(lang) or entry["vi"]
    return text.format(**values) if values else text
