"""Both Zalo surfaces go through the durable intake: an event is stored before the webhook's
200 (a 500 when it cannot be, so that Zalo delivers it again), answered from the store, stored
once however often it is delivered, and kept without its text once answered."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from bot.app import App
from bot.channels.zalo import start_zalo, zalo_routes
from bot.intake import Intake, Stored
from bot.web import build_web
from db.models_intake import IntakeRow
from handlers import dispatch
from tests.fakes.zalo import (
    OA_SECRET_KEY,
    FakeZaloBot,
    FakeZaloOA,
    Signer,
    epoch_ms,
    running_app,
    serve,
    wait_for,
    zalo_settings,
)

USER = "246845883529197922"
CHAT = "6ede9afa66b88fe6d6a9"
SECRET = "zalo-bot-webhook-secret-1234"


async def rows(app: App) -> list[IntakeRow]:
    async with app.sessions() as session:
        return list(await session.scalars(select(IntakeRow).order_by(IntakeRow.id)))


def fail_once(intake: Intake) -> list[int]:
    """The next ``accept`` fails like an unreachable database; returns the failure count."""
    real = intake.accept
    failures: list[int] = []

    async def accept(items: Sequence[Stored]) -> int:
        if not failures:
            failures.append(1)
            raise OperationalError("INSERT", {}, ConnectionRefusedError())
        return await real(items)

    intake.accept = accept  # type: ignore[method-assign]
    return failures


async def answered_and_blank(app: App, intake: Intake, count: int) -> None:
    await wait_for(lambda: intake.idle(), what="intake idle")
    found = await rows(app)
    assert [r.status for r in found] == ["done"] * count
    assert all(r.payload is None for r in found)  # the citizen's text is not kept


@pytest.fixture
async def oa_world(tmp_path: Path) -> AsyncIterator[tuple[FakeZaloOA, App, Intake, str]]:
    async with FakeZaloOA().running() as fake:
        access, refresh = fake.issue_pair()
        settings = zalo_settings(
            f"sqlite:///{tmp_path / 'h.db'}", oa=fake, access_token=access, refresh_token=refresh
        )
        async with running_app(settings) as app:
            intake = Intake(app, poll_seconds=0.05)
            runtime = await start_zalo(
                app, settings, dispatch=dispatch, webhook=True, intake=intake
            )
            intake.start()
            try:
                web = build_web(
                    app, settings, extra_routes=zalo_routes(app, settings, dispatch=dispatch)
                )
                async with serve(web) as url:
                    yield fake, app, intake, f"{url}/zalo/oa"
            finally:
                await intake.stop()
                await runtime.stop()


async def test_oa_event_stored_before_200_and_answered_once(
    oa_world: tuple[FakeZaloOA, App, Intake, str],
) -> None:
    fake, app, intake, url = oa_world
    signer = Signer(fake.app_id, OA_SECRET_KEY)
    event = signer.text(USER, "thu vien tinh may gio mo cua", epoch_ms(app.now()))
    async with httpx.AsyncClient() as http:
        failures = fail_once(intake)
        first = await signer.post(http, url, event)
        assert first.status_code == 500 and failures  # not stored: Zalo must send it again
        assert await rows(app) == []
        assert (await signer.post(http, url, event)).status_code == 200
        await wait_for(lambda: bool(fake.texts_to(USER)), what="answer")
        assert (await signer.post(http, url, event)).status_code == 200  # a redelivery
    await answered_and_blank(app, intake, 1)
    assert len(fake.texts_to(USER)) == 1 and "07:30" in fake.texts_to(USER)[0]


@pytest.fixture
async def bot_world(tmp_path: Path) -> AsyncIterator[tuple[FakeZaloBot, App]]:
    async with FakeZaloBot().running() as fake:
        settings = zalo_settings(f"sqlite:///{tmp_path / 'h.db'}", bot=fake, webhook_secret=SECRET)
        async with running_app(settings) as app:
            yield fake, app


async def test_bot_webhook_stores_first_and_answers_once(
    bot_world: tuple[FakeZaloBot, App],
) -> None:
    fake, app = bot_world
    intake = Intake(app, poll_seconds=0.05)
    runtime = await start_zalo(app, app.settings, dispatch=dispatch, webhook=True, intake=intake)
    intake.start()
    update: dict[str, Any] = fake.update(CHAT, "message.text.received", text="xin chào")
    headers = {"X-Bot-Api-Secret-Token": SECRET}
    try:
        web = build_web(
            app, app.settings, extra_routes=zalo_routes(app, app.settings, dispatch=dispatch)
        )
        async with serve(web) as url, httpx.AsyncClient() as http:
            fail_once(intake)
            response = await http.post(f"{url}/zalo/bot", json=update, headers=headers)
            assert response.status_code == 500
            for _ in range(2):  # Zalo delivers it again, twice
                response = await http.post(f"{url}/zalo/bot", json=update, headers=headers)
                assert response.status_code == 200
            await wait_for(lambda: bool(fake.texts_to(CHAT)), what="answer")
            await answered_and_blank(app, intake, 1)
    finally:
        await intake.stop()
        await runtime.stop()
    assert len(fake.texts_to(CHAT)) == 1


async def test_bot_polling_keeps_an_update_until_it_is_stored(
    bot_world: tuple[FakeZaloBot, App],
) -> None:
    """This surface has no offset: a polled update the database could not take is kept in
    memory and stored once it can be; then it is answered."""
    fake, app = bot_world
    intake = Intake(app, poll_seconds=0.05)
    runtime = await start_zalo(
        app,
        app.settings,
        dispatch=dispatch,
        webhook=False,
        intake=intake,
        bot={"poll_timeout": 1, "min_poll_interval": 0},
    )
    intake.start()
    try:
        failures = fail_once(intake)
        fake.user_text(CHAT, "thu vien tinh may gio mo cua")
        await wait_for(lambda: bool(fake.texts_to(CHAT)), what="answer", timeout=10)
        assert failures
        await answered_and_blank(app, intake, 1)
    finally:
        await intake.stop()
        await runtime.stop()
    assert "07:30" in fake.texts_to(CHAT)[0]
