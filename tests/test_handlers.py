"""The channel-agnostic conversation, driven through ``dispatch`` as every channel drives it."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.app import App, build_app
from bot.clock import FixedClock
from bot.messages import MAX_BUTTON_DATA, Incoming, Reply, split_text
from bot.settings import load_settings
from db.models import FeedbackRow, QuestionLogRow, UserRow
from handlers import dispatch
from tests.conftest import DEV_PACK

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = dt.datetime(2026, 12, 2, 9, 0, tzinfo=TZ)


@pytest.fixture
async def app(tmp_path: Path, clean_env: dict[str, str]) -> AsyncIterator[App]:
    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'h.db'}", content_dir=DEV_PACK)
    application = build_app(settings, clock=FixedClock(NOW))
    await application.prepare()
    yield application
    await application.close()


def msg(**kwargs: object) -> Incoming:
    return Incoming("terminal", "u1", "u1", **kwargs)  # type: ignore[arg-type]


def data_of(reply: Reply) -> list[str]:
    return [b.data for b in reply.flat_buttons]


def press(reply: Reply, label_part: str) -> Incoming:
    button = next(b for b in reply.flat_buttons if label_part in b.label)
    return msg(button=button.data)


async def test_start_names_the_organisation_and_shows_the_menu(app: App) -> None:
    [reply] = await dispatch(msg(command="start"), app)
    assert "Thư viện tỉnh Bắc Kạn" in reply.text
    labels = [b.label for b in reply.flat_buttons]
    assert labels == [
        "📚 Lớp học",
        "🕘 Giờ mở cửa thư viện",
        "🚐 Xe thư viện lưu động",
        "❓ Hỏi đáp",
        "🔔 Nhận thông báo",
        "🙋 Hỏi cán bộ",
    ]


async def test_browse_topics_to_a_class_by_editing_the_menu(app: App) -> None:
    [menu] = await dispatch(msg(command="start"), app)
    [topics] = await dispatch(press(menu, "Lớp học"), app)
    assert topics.edit and any("Tin học" in b.label for b in topics.flat_buttons)
    [courses] = await dispatch(press(topics, "Tin học"), app)
    assert courses.edit and "Sử dụng điện thoại thông minh" in courses.text
    [details] = await dispatch(press(courses, "điện thoại thông minh"), app)
    assert details.edit
    assert "19:00" in details.text and "miễn phí" in details.text.lower()
    assert "0209 3871 120" in details.text  # how to register
    [back] = await dispatch(press(details, "Quay lại"), app)
    assert back.edit and back.text == courses.text


async def test_library_hours_and_van_menus(app: App) -> None:
    [libs] = await dispatch(msg(command="giomocua"), app)
    [hours] = await dispatch(press(libs, "Thư viện tỉnh"), app)
    assert "07:30" in hours.text and hours.edit
    [van] = await dispatch(msg(command="xethuvien"), app)
    assert "Bộc Bố" in van.text  # tomorrow's stop is in the schedule
    [commune] = await dispatch(press(van, "Yến Lạc"), app)
    assert "Chợ phiên Yến Lạc" in commune.text and "12/12" in commune.text


async def test_faq_list_pages_and_feedback_is_recorded(app: App) -> None:
    [page0] = await dispatch(msg(command="hoidap"), app)
    [page1] = await dispatch(press(page0, "Xem thêm"), app)
    assert page1.edit and set(data_of(page0)).isdisjoint(
        d for d in data_of(page1) if d.startswith("faq:")
    )
    [answer] = await dispatch(msg(button="faq:lam-the-ban-doc"), app)
    assert "căn cước" in answer.text and answer.feedback_for == "faq:lam-the-ban-doc"
    [thanks] = await dispatch(press(answer, "👎"), app)
    assert "0209 3870 001" in thanks.text  # the pack's contact
    async with app.sessions() as s:
        rows = (await s.scalars(select(FeedbackRow))).all()
    assert [(r.ref, r.helpful) for r in rows] == [("faq:lam-the-ban-doc", False)]


async def test_free_text_without_diacritics_and_logging(app: App) -> None:
    [reply] = await dispatch(msg(text="thu vien tinh may gio mo cua"), app)
    assert "07:30" in reply.text
    [fallback] = await dispatch(msg(text="giá vàng hôm nay bao nhiêu"), app)
    assert "0209 3870 001" in fallback.text and fallback.flat_buttons  # contact and menu
    async with app.sessions() as s:
        kinds = (await s.scalars(select(QuestionLogRow.kind).order_by(QuestionLogRow.id))).all()
    assert kinds == ["library_hours", "fallback"]


async def test_clarify_choices_are_buttons_that_answer(app: App) -> None:
    [reply] = await dispatch(msg(text="thư viện"), app)
    if reply.flat_buttons and reply.flat_buttons[0].data.startswith(("faq:", "library:")):
        [picked] = await dispatch(msg(button=reply.flat_buttons[0].data), app)
        assert picked.text and picked.text != reply.text


async def test_location_names_nearest_stop_and_centre(app: App) -> None:
    [reply] = await dispatch(msg(location=(22.147, 105.834)), app)
    assert "Đức Xuân" in reply.text and " m" in reply.text
    assert "🚐" in reply.text
    [bad] = await dispatch(msg(command="location", args=("abc",)), app)
    assert "/location" in bad.text
    [far] = await dispatch(msg(command="location", args=("95", "200")), app)
    assert "không hợp lệ" in far.text


@pytest.mark.parametrize("kind", ["photo", "sticker", "voice"])
async def test_unsupported_messages_get_a_polite_reply(app: App, kind: str) -> None:
    [reply] = await dispatch(msg(unsupported=kind), app)
    assert "chỉ đọc được tin nhắn chữ" in reply.text


async def test_english_is_selectable_and_remembered(app: App) -> None:
    [picked] = await dispatch(msg(command="lang"), app)
    [done] = await dispatch(press(picked, "English"), app)
    assert done.text == "Switched to English."
    [menu] = await dispatch(msg(command="start"), app)
    assert "📚 Classes" in [b.label for b in menu.flat_buttons]
    async with app.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(UserRow)) == 1


async def test_unknown_command_and_stale_button_and_empty_text(app: App) -> None:
    [unknown] = await dispatch(msg(command="nhanvien"), app)
    [helped] = await dispatch(msg(command="help"), app)
    assert unknown.text == helped.text  # staff commands give citizens the ordinary help
    [stale] = await dispatch(msg(button="faq:khong-con"), app)
    assert "không còn" in stale.text
    [empty] = await dispatch(msg(text="   "), app)
    assert "chưa gõ gì" in empty.text


async def test_every_button_fits_telegram(app: App) -> None:
    seen: set[str] = set()
    queue = [msg(command="start")]
    while queue and len(seen) < 150:
        for reply in await dispatch(queue.pop(), app):
            for button in reply.flat_buttons:
                assert button.data.isascii() and len(button.data.encode()) <= MAX_BUTTON_DATA
                if button.data not in seen and not button.data.startswith(("fb:", "lang:", "hq:")):
                    seen.add(button.data)
                    queue.append(msg(button=button.data))
    assert len(seen) > 30


async def test_a_handler_error_gets_an_apology(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_: object) -> None:
        raise RuntimeError("engine exploded")

    monkeypatch.setattr(app.live.engine, "ask", boom)  # type: ignore[union-attr]
    [reply] = await dispatch(msg(text="xin chào"), app)
    assert "trục trặc" in reply.text
    [still] = await dispatch(msg(command="start"), app)
    assert "Thư viện tỉnh" in still.text


def test_split_text_at_line_boundaries() -> None:
    text = "\n".join(f"dòng {n} " + "x" * 90 for n in range(100))
    parts = split_text(text, 4096)
    assert all(len(p) <= 4096 for p in parts) and len(parts) == 3
    assert "\n".join(parts) == text
    long_word = "a" * 5000
    assert [len(p) for p in split_text(long_word, 2000)] == [2000, 2000, 1000]


def test_long_button_labels_are_cut_at_a_word() -> None:
    from bot.messages import short_label

    label = "Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh ở cơ sở"
    cut = short_label(label)
    assert len(cut) <= 64 and cut.endswith("…") and label.startswith(cut[:-1])
    assert short_label("Tin học") == "Tin học"
