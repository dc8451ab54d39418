"""The engine's named weights and limits, each with its reason (one place to read them)."""

from __future__ import annotations

FAQ_WEIGHTS = {"question": 1.0, "alternate": 1.0, "tags": 0.6, "answer": 0.3}
MOBILE_DAYS = 14
MOBILE_LIST = 8  # visits listed when no date is asked; a month asked for lists up to MONTH_LIST
MONTH_LIST = 31
# A question naming a service or errand the answer does not mention (cues.FOREIGN) keeps this
# share of its score: 'giờ mở cửa ngân hàng' is not the library's hours.
FOREIGN_KEEP = 0.45
# A class offered for a question about opening hours, an address or books, without a class
# word ('cột cờ Lũng Cú mở cửa mấy giờ', 'có sách tiếng Mông không'), keeps this share.
ERRAND_KEEP = 0.75
ANSWER_CHARS = 240  # an answer's opening is indexed (weakly); the rest adds cost, not evidence
FAQ_OFFERS = 8  # more than decide() ever looks at (the best, the runner-up, three suggestions)
LARGE_FAQ = 2000  # above this many entries answers are not indexed: build time, weak evidence
# Reading a long message in parts: a clarify counts this share of its score against an answer.
CLARIFY_WEIGHT = 0.9
READING_KEEP = 0.95  # a part of a message answers a little less surely than the whole
# A subject word of a class question that the answering classes lack counts as missing (the
# class asked for does not exist) only when it weighs at least this much: 'dê', 'nấm', 'Hàn'.
MISSING_WEIGHT = 1.5
# A class leads the others of a list by this much of its text score to be what a follow-up means.
FOCUS_MARGIN = 0.05
# ... and by this much to be answered on its own card when a detail is asked about it.
FOCUS_CARD_MARGIN = 0.15
# A question of opening hours and a library only ('thư viện tỉnh bây giờ còn mở không') keeps this
# share of an FAQ's score: the hours computed from the data answer it, not a holiday FAQ.
HOURS_FAQ_KEEP = 0.85
BARE_HOURS = 0.8  # 'giờ mở cửa?' with no library named: every library's hours for the moment
# Particles that end a question in every region ('... không nghe', '... rứa hỉ', '... hen').
FINAL_PARTICLES = frozenset(
    {"vay", "z", "zay", "nghe", "nghen", "hen", "nhen", "nha", "ne", "ha", "he", "hi", "ta", "a"}
    | {"rang", "rua"}  # Central 'răng', 'rứa' typed without marks at the end of a question
)
MARKED_PARTICLES = frozenset({"á", "nè", "hè", "há", "nhá", "hén", "hở", "đó", "đấy", "hông"})
DATE_WORDS = (
    "hom nay mai kia mot qua bay gio hien tai luc nay thu hai ba tu nam sau bay chu nhat "
    "tuan thang sau toi truoc cuoi ngay sang chieu trua toi dem"
)
# 'có lớp X nào không' asks for the classes: an FAQ about X keeps this share of its score.
WHICH_CLASS_FAQ_KEEP = 0.85
