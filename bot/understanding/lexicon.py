"""General Vietnamese abbreviations, teencode and synonyms, plus the pack's own lexicon.

Nothing here names an entity of a particular pack: these are the ways people in Vietnam type
any question (``ko`` for không, ``đc`` for được, ``t7`` for thứ bảy, ``tv`` for thư viện).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.understanding.normalize import Token, tokenize

# Short form (folded, one or two syllables) -> meaning. Applied to questions and to content.
BUILTIN: dict[str, str] = {
    # negation / question particles
    "ko": "không",
    "k": "không",
    "kh": "không",
    "khg": "không",
    "hok": "không",
    "hong": "không",
    "hem": "không",
    "khum": "không",
    "hk": "không",
    "khong": "không",
    "j": "gì",
    "ji": "gì",
    "z": "vậy",
    "zay": "vậy",
    "ntn": "như thế nào",
    "sao z": "sao vậy",
    "bn": "bao nhiêu",
    "bnhieu": "bao nhiêu",
    "nhiu": "nhiêu",
    "bh": "bao giờ",
    "bgio": "bao giờ",
    "may h": "mấy giờ",
    "mấy h": "mấy giờ",
    "h": "giờ",
    # common verbs / pronouns
    "dc": "được",
    "dx": "được",
    "dk": "đăng ký",
    "dky": "đăng ký",
    "mk": "mình",
    "mik": "mình",
    "mjk": "mình",
    "cx": "cũng",
    "vs": "với",
    "ng": "người",
    "bit": "biết",
    "bik": "biết",
    "wa": "qua",
    "mun": "muốn",
    "trc": "trước",
    "ns": "nói",
    "hnay": "hôm nay",
    "hqua": "hôm qua",
    "bjo": "bây giờ",
    "bi h": "bây giờ",
    "gio": "giờ",
    # days
    "t2": "thứ hai",
    "t3": "thứ ba",
    "t4": "thứ tư",
    "t5": "thứ năm",
    "t6": "thứ sáu",
    "t7": "thứ bảy",
    "cn": "chủ nhật",
    "thứ 2": "thứ hai",
    "thứ 3": "thứ ba",
    "thứ 4": "thứ tư",
    "thứ 5": "thứ năm",
    "thứ 6": "thứ sáu",
    "thứ 7": "thứ bảy",
    "thu 2": "thứ hai",
    "thu 3": "thứ ba",
    "thu 4": "thứ tư",
    "thu 5": "thứ năm",
    "thu 6": "thứ sáu",
    "thu 7": "thứ bảy",
    "thu bay": "thứ bảy",
    "thu tu": "thứ tư",
    "thu nam": "thứ năm",
    "thu sau": "thứ sáu",
    "thu hai": "thứ hai",
    "thu ba": "thứ ba",
    "chu nhat": "chủ nhật",
    # places and services
    "tv": "thư viện",
    "tthtcd": "trung tâm học tập cộng đồng",
    "ttht": "trung tâm học tập cộng đồng",
    "tthtcdd": "trung tâm học tập cộng đồng",
    "tt": "trung tâm",
    "sdt": "số điện thoại",
    "dt": "điện thoại",
    "dthoai": "điện thoại",
    "tp": "thành phố",
    "tx": "thị xã",
    "ubnd": "ủy ban",
    "gv": "giáo viên",
    "hs": "học sinh",
    "sv": "sinh viên",
    "hv": "học viên",
    # thanks / greetings
    "tks": "cảm ơn",
    "thks": "cảm ơn",
    "thanks": "cảm ơn",
    "thank": "cảm ơn",
    "thanks you": "cảm ơn",
    "thank you": "cảm ơn",
    "thx": "cảm ơn",
    "camon": "cảm ơn",
    "cam on": "cảm ơn",
    "cám ơn": "cảm ơn",
    "hello": "xin chào",
    "helo": "xin chào",
    "hi": "xin chào",
    "alo": "xin chào",
    # spelling variants and synonyms (one canonical form for matching)
    "free": "miễn phí",
    "fre": "miễn phí",
    "mien phi": "miễn phí",
    "online": "trực tuyến",
    "onl": "trực tuyến",
    "qua mạng": "trực tuyến",
    "trễ": "muộn",
    "tre han": "muộn",
    "người mù": "người khiếm thị",
    "khiếm thị": "khiếm thị",
    "người già": "người cao tuổi",
    "cụ già": "người cao tuổi",
    "trẻ con": "thiếu nhi",
    "trẻ em": "thiếu nhi",
    "con nít": "thiếu nhi",
    "smartphone": "điện thoại thông minh",
    "smart phone": "điện thoại thông minh",
    "vi tính": "máy tính",
    "wifi": "internet",
    "wi fi": "internet",
    "vô": "vào",
    "mù": "khiếm thị",
    "mù chữ": "mù chữ",
    "mắt kém": "khiếm thị",
    "sách nghe": "sách nói",
    "nghe sách": "sách nói",
    "truyện": "sách",
    "quyên góp": "tặng",
    "biếu": "tặng",
    "lịch trình": "lịch",
    "học phí": "học phí",
    "giá": "phí",
    "khoá": "khóa",
    "hoá": "hóa",
    "thuỷ": "thủy",
    "tuỳ": "tùy",
    "quý": "quý",
    # library vocabulary: one name for the reader's card, the books, personal data
    "thẻ thư viện": "thẻ bạn đọc",
    "the thu vien": "thẻ bạn đọc",
    "thẻ mượn sách": "thẻ bạn đọc",
    "the muon sach": "thẻ bạn đọc",
    "thẻ đọc sách": "thẻ bạn đọc",
    "the doc sach": "thẻ bạn đọc",
    "quyển": "cuốn",
    "quyen sach": "cuốn sách",
    "dữ liệu": "thông tin cá nhân",
    "du lieu": "thông tin cá nhân",
    "dữ liệu cá nhân": "thông tin cá nhân",
    "du lieu ca nhan": "thông tin cá nhân",
    "thông tin cá nhân": "thông tin cá nhân",
    "tin báo": "thông báo",
    "nhận tin": "nhận thông báo",
    "ủng hộ": "tặng",
    "ung ho": "tặng",
    "đánh rơi": "mất",
    "danh roi": "mất",
    "đánh mất": "mất",
    "danh mat": "mất",
    "rơi mất": "mất",
    "quá hạn": "muộn",
    "qua han": "muộn",
    "trễ hạn": "muộn",
    "hết bao nhiêu": "mất bao nhiêu",
    "het bao nhieu": "mất bao nhiêu",
    "tốn bao nhiêu": "mất bao nhiêu",
    "ton bao nhieu": "mất bao nhiêu",
    # 'may' before a counter word is the question word mấy (not máy, may)
    "may cuon": "mấy cuốn",
    "may quyen": "mấy cuốn",
    "may ngay": "mấy ngày",
    "may tuan": "mấy tuần",
    "may thang": "mấy tháng",
    "may buoi": "mấy buổi",
    "may lan": "mấy lần",
    "may tuoi": "mấy tuổi",
    "may nguoi": "mấy người",
    "may tieng": "mấy tiếng",
}

# Marked keys whose folded form is another common word ('gia' is gia đình, not giá).
ACCENT_ONLY: frozenset[str] = frozenset(
    {"giá", "vô", "quý", "khoá", "hoá", "thuỷ", "tuỳ", "học phí", "khiếm thị", "mù", "truyện"}
)


@dataclass(frozen=True)
class Lexicon:
    """Rewrites runs of syllables (longest first) into their meaning."""

    table: Mapping[tuple[str, ...], tuple[Token, ...]]
    accented: Mapping[tuple[str, ...], tuple[Token, ...]]
    longest: int
    starts: frozenset[str]

    @classmethod
    def build(cls, extra: Mapping[str, str] | None = None) -> Lexicon:
        """Built-in general lexicon with the pack's ``lexicon.yaml`` on top."""
        table: dict[tuple[str, ...], tuple[Token, ...]] = {}
        accented: dict[tuple[str, ...], tuple[Token, ...]] = {}
        for source in (BUILTIN, dict(extra or {})):
            for short, means in source.items():
                key_tokens = tokenize(short)
                if not key_tokens:
                    continue
                meaning = tuple(tokenize(means))
                if any(t.marked for t in key_tokens):
                    # 'trễ' -> 'muộn' only when typed with marks; the folded form may differ.
                    accented[tuple(t.acc for t in key_tokens)] = meaning
                    folded = tuple(t.fold for t in key_tokens)
                    if source is not BUILTIN:
                        table[folded] = meaning
                    elif short not in ACCENT_ONLY:
                        table.setdefault(folded, meaning)
                else:
                    table[tuple(t.fold for t in key_tokens)] = meaning
        longest = max((len(k) for k in [*table, *accented]), default=1)
        starts = frozenset(k[0] for k in table) | frozenset(k[0] for k in accented)
        return cls(table, accented, longest, starts)

    def apply(self, tokens: Sequence[Token]) -> list[Token]:
        """Replace known short forms; an unmarked token matches a folded key."""
        starts = self.starts
        hits = [i for i, t in enumerate(tokens) if t.fold in starts or t.acc in starts]
        if not hits:
            return list(tokens)  # most texts: nothing to replace
        accented, table, longest = self.accented, self.table, self.longest
        out: list[Token] = []
        i = 0
        n = len(tokens)
        for start in hits:
            if start < i:
                continue  # inside a short form replaced already
            out.extend(tokens[i:start])
            i = start
            token = tokens[i]
            for size in range(min(longest, n - i), 0, -1):
                if size == 1:
                    acc_key: tuple[str, ...] = (token.acc,)
                    fold_key: tuple[str, ...] = (token.fold,)
                else:
                    run = tokens[i : i + size]
                    acc_key = tuple([t.acc for t in run])
                    fold_key = tuple([t.fold for t in run])
                meaning = accented.get(acc_key)
                if meaning is None and acc_key == fold_key:  # no syllable typed with marks
                    meaning = table.get(fold_key)
                # đc, đk, sđt: marked only by đ, still a short form
                if (
                    meaning is None
                    and size == 1
                    and token.marked
                    and token.acc.replace("đ", "d") == token.fold
                ):
                    meaning = table.get(fold_key)
                if meaning is not None:
                    out.extend(meaning)
                    i += size
                    break
            else:
                out.append(token)
                i += 1
        out.extend(tokens[i:])
        return out
