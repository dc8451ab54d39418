"""The Zalo OA channel end to end: signed webhooks over real HTTP to the Starlette app on
uvicorn, real dispatch on the dev pack, CS replies to a fake OA API, tokens, the window."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from bot.app import App
from bot.channels.zalo import ZaloRuntime, start_zalo, zalo_routes
from bot.channels.zalo_oa import ZaloOA
from bot.channels.zalo_oa_webhook import compute_mac, verify_signature
from bot.channels.zalo_text import CHOICE_HINT
from bot.clock import FixedClock
from bot.messages import Button, Reply
from bot.web import build_web
from db.models_zalo import ZaloChoiceRow, ZaloTokenRow
from handlers import dispatch, lifecycle
from tests.fakes.zalo import (
    OA_SECRET_KEY,
    TEST_NOW,
    FakeZaloOA,
    Signer,
    epoch_ms,
    running_app,
    serve,
    wait_for,
    zalo_settings,
)

USER = "246845883529197922"


@dataclasses.dataclass
class World:
    """Everything one OA test needs."""

    fake: FakeZaloOA
    app: App
    runtime: ZaloRuntime
    url: str
    http: httpx.AsyncClient
    signer: Signer

    @property
    def oa(self) -> ZaloOA:
        assert self.runtime.channels.oa is not None
        return self.runtime.channels.oa

    def ts(self, delta: dt.timedelta = dt.timedelta()) -> int:
        return epoch_ms(self.app.now() + delta)

    async def say(self, text: str, user: str = USER) -> str:
        """Post a signed text event and wait for the next reply to ``user``."""
        before = len(self.fake.texts_to(user))
        response = await self.signer.post(
            self.http, self.url, self.signer.text(user, text, self.ts())
        )
        assert response.status_code == 200
        await wait_for(lambda: len(self.fake.texts_to(user)) > before, what=f"reply to {text!r}")
        await wait_for(self.oa.workers.idle, what="workers idle")
        return "\n".join(self.fake.texts_to(user)[before:])


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with FakeZaloOA().running() as fake:
        access, refresh = fake.issue_pair()
        settings = zalo_settings(
            f"sqlite:///{tmp_path / 'hoctap.db'}",
            oa=fake,
            access_token=access,
            refresh_token=refresh,
        )
        async with running_app(settings) as app:
            runtime = await start_zalo(app, settings, dispatch=dispatch, webhook=True)
            try:
                web = build_web(
                    app, settings, extra_routes=zalo_routes(app, settings, dispatch=dispatch)
                )
                async with serve(web) as url, httpx.AsyncClient() as http:
                    yield World(
                        fake,
                        app,
                        runtime,
                        f"{url}/zalo/oa",
                        http,
                        Signer(fake.app_id, OA_SECRET_KEY),
                    )
            finally:
                await runtime.stop()


def _more(world: World, before: int) -> bool:
    return len(world.fake.texts_to(USER)) > before


async def choices_of(app: App, user: str) -> list[Any]:
    async with app.sessions() as session:
        row = await session.get(ZaloChoiceRow, ("zalo_oa", user))
        return list(row.choices) if row else []


async def test_scripted_conversation(world: World) -> None:
    """Greeting → numbered menu; a number presses a button; hours; location; media."""
    text = await world.say("xin chào")
    assert "1. " in text and CHOICE_HINT in text
    choices = await choices_of(world.app, USER)
    assert "m:hours" in choices

    text = await world.say(str(choices.index("m:hours") + 1))
    assert "Thư viện tỉnh Bắc Kạn" in text  # the library list, as numbered choices

    text = await world.say("thu vien tinh may gio mo cua")
    assert "Thư viện tỉnh Bắc Kạn" in text and "07:30" in text

    before = len(world.fake.texts_to(USER))
    event = world.signer.location(USER, 22.1465, 105.8352, world.ts())
    assert (await world.signer.post(world.http, world.url, event)).status_code == 200
    await wait_for(lambda: len(world.fake.texts_to(USER)) > before, what="location answer")
    assert world.fake.texts_to(USER)[-1].startswith("📍")

    for kind in ("image", "sticker", "gif", "audio", "video", "file"):
        before = len(world.fake.texts_to(USER))
        event = world.signer.media(kind, USER, world.ts())
        await world.signer.post(world.http, world.url, event)
        await wait_for(partial(_more, world, before), what=kind)
        assert "chỉ đọc được tin nhắn chữ" in world.fake.texts_to(USER)[-1]
    # every message went out as a consultation message with the user's id
    assert all(m["recipient"]["user_id"] == USER for m in world.fake.sent)


async def test_follow_welcomes_and_unfollow_calls_the_hook(world: World) -> None:
    calls: list[tuple[str, str]] = []

    async def hook(app: App, channel: str, user_id: str) -> None:
        calls.append((channel, user_id))

    await world.signer.post(world.http, world.url, world.signer.follow("777", world.ts()))
    await wait_for(lambda: world.fake.texts_to("777"), what="welcome")
    assert world.fake.texts_to("777")[0].startswith("Xin chào!")

    lifecycle.set_unfollow_hook(hook)
    try:
        event = world.signer.follow("777", world.ts(), unfollow=True)
        await world.signer.post(world.http, world.url, event)
        await wait_for(lambda: calls, what="unfollow hook")
    finally:
        lifecycle.set_unfollow_hook(None)
    assert calls == [("zalo_oa", "777")]
    # without a hook nothing happens (and nothing breaks)
    event = world.signer.follow("778", world.ts(), unfollow=True)
    await world.signer.post(world.http, world.url, event)
    await wait_for(
        lambda: world.oa.stats["accepted"] == 3 and world.oa.workers.idle(), what="idle"
    )


async def test_signature_accepted_and_rejected(world: World) -> None:
    """Good signatures (``mac=`` or bare) pass; bad, altered, stale, replayed, huge do not —
    and every answer is the same bare 200."""
    signer, http, url = world.signer, world.http, world.url
    answers: list[httpx.Response] = []

    answers.append(await signer.post(http, url, signer.text("u1", "xin chào", world.ts())))
    answers.append(
        await signer.post(http, url, signer.text("u2", "xin chào", world.ts()), prefix=False)
    )
    assert world.oa.stats["accepted"] == 2

    answers.append(await signer.post(http, url, signer.text("u3", "hi", world.ts()), bad=True))
    raw, headers = signer.request(signer.text("u3", "hi", world.ts()))
    answers.append(await http.post(url, content=raw.replace(b"hi", b"ho"), headers=headers))
    answers.append(await http.post(url, content=raw, headers={}))
    assert world.oa.stats["bad_signature"] == 3

    old = signer.text("u3", "hi", world.ts(-dt.timedelta(hours=3)))
    answers.append(await signer.post(http, url, old))
    future = signer.text("u3", "hi", world.ts(dt.timedelta(hours=1)))
    answers.append(await signer.post(http, url, future))
    assert world.oa.stats["stale"] == 2

    raw, headers = signer.request(signer.text("u4", "xin chào", world.ts()))
    answers.append(await http.post(url, content=raw, headers=headers))
    answers.append(await http.post(url, content=raw, headers=headers))  # replay
    assert world.oa.stats["replay"] == 1

    huge = signer.text("u3", "x" * 70_000, world.ts())
    answers.append(await signer.post(http, url, huge))
    assert world.oa.stats["too_large"] == 1

    answers.append(await http.post(url, json={}))  # the console's unsigned URL check
    assert world.oa.stats["probe"] == 1

    assert {(a.status_code, a.content) for a in answers} == {(200, b"")}
    await wait_for(lambda: world.oa.workers.idle(), what="idle")
    # only u1, u2 and u4 (once) were answered
    assert {m["recipient"]["user_id"] for m in world.fake.sent} == {"u1", "u2", "u4"}
    assert len(world.fake.texts_to("u4")) == 1


def test_verify_signature_forms() -> None:
    raw = b'{"timestamp":"1764640800000","event_name":"user_send_text"}'
    mac = compute_mac("app", raw, "1764640800000", "key")
    body = {"timestamp": "1764640800000"}
    kwargs: dict[str, Any] = {"app_id": "app", "oa_secret_key": "key"}
    assert verify_signature(raw, f"mac={mac}", body, **kwargs) == "1764640800000"
    assert verify_signature(raw, f"MAC={mac.upper()}", body, **kwargs) == "1764640800000"
    assert verify_signature(raw, mac, body, **kwargs) == "1764640800000"
    assert verify_signature(raw, None, body, **kwargs) is None
    assert verify_signature(raw + b" ", f"mac={mac}", body, **kwargs) is None
    assert verify_signature(raw, f"mac={mac}", body, app_id="app", oa_secret_key="k2") is None
    header_ts = compute_mac("app", raw, "1764640800999", "key")
    assert verify_signature(raw, header_ts, body, ts_header="1764640800999", **kwargs)


async def test_twenty_concurrent_sends_with_an_expired_token_refresh_once(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """Zalo says -216: one refresh, the single-use refresh token spent once, all delivered."""
    caplog.set_level(logging.DEBUG)
    secrets = {world.fake.app_secret, OA_SECRET_KEY, *world.fake.refresh_tokens}
    world.fake.expire_access_tokens()
    users = [f"user{i}" for i in range(20)]
    outcomes = await asyncio.gather(*(world.oa.deliver(u, Reply("Thông báo")) for u in users))
    assert {o.status for o in outcomes} == {"sent"}
    assert len(world.fake.token_calls) == 1 and world.fake.reused == []
    assert world.oa.client.tokens.refreshes == 1
    secrets |= world.fake.access_tokens | world.fake.refresh_tokens
    logging.getLogger("bot.channels.zalo_oa").info("pair %s", sorted(secrets))
    assert "zalo oa: access token refreshed" in caplog.text
    leaks = [r for r in caplog.records for s in secrets if s in r.getMessage()]
    assert not leaks, [(r.name, r.getMessage()[:300]) for r in leaks]


async def test_migration_up_and_down(database_url: str) -> None:
    """0004 creates its four tables and drops them again (SQLite and PostgreSQL)."""
    from alembic import command
    from sqlalchemy import inspect
    from sqlalchemy.engine import Connection

    from bot.settings import async_database_url
    from db.engine import _alembic_config, make_engine, upgrade

    engine = make_engine(async_database_url(database_url))
    tables = {"zalo_tokens", "zalo_interactions", "zalo_choices", "zalo_seen"}

    def names(conn: Connection) -> set[str]:
        return set(inspect(conn).get_table_names())

    def down(conn: Connection) -> None:
        command.downgrade(_alembic_config(conn), "0003")

    try:
        await upgrade(engine)
        async with engine.connect() as conn:
            assert tables <= await conn.run_sync(names)
        async with engine.begin() as conn:
            await conn.run_sync(down)
        async with engine.connect() as conn:
            assert not tables & await conn.run_sync(names)
        await upgrade(engine)
    finally:
        await engine.dispose()


async def test_known_expiry_refreshes_before_sending(world: World) -> None:
    """The stored expiry has passed: refreshed first (no -216 round trip), exactly once."""
    async with world.app.sessions.begin() as session:
        await session.execute(
            update(ZaloTokenRow).values(
                expires_at=(TEST_NOW - dt.timedelta(minutes=1)).astimezone(dt.UTC)
            )
        )
    world.oa.client.tokens._cached = None
    outcomes = await asyncio.gather(*(world.oa.deliver(f"u{i}", Reply("x")) for i in range(20)))
    assert {o.status for o in outcomes} == {"sent"}
    assert len(world.fake.token_calls) == 1 and world.fake.reused == []
    assert len(world.fake.calls) == 20  # no call went out with the expired token
    async with world.app.sessions() as session:
        row = await session.get(ZaloTokenRow, "oa")
        assert (
            row is not None
            and row.generation == 1
            and row.refresh_token in (world.fake.refresh_tokens)
        )


async def test_two_instances_share_one_database(database_url: str) -> None:
    """Two App instances on one database (SQLite and PostgreSQL): one refresh in total."""
    async with FakeZaloOA(refresh_delay=0.3).running() as fake:
        access, refresh = fake.issue_pair()
        settings = zalo_settings(database_url, oa=fake, access_token=access, refresh_token=refresh)
        async with running_app(settings) as app1, running_app(settings) as app2:
            run1 = await start_zalo(app1, settings, dispatch=dispatch, webhook=True)
            run2 = await start_zalo(app2, settings, dispatch=dispatch, webhook=True)
            try:
                oa1, oa2 = run1.channels.oa, run2.channels.oa
                assert oa1 is not None and oa2 is not None and oa1 is not oa2
                fake.expire_access_tokens()
                sends = [oa.deliver(f"u{i}", Reply("x")) for i in range(10) for oa in (oa1, oa2)]
                outcomes = await asyncio.gather(*sends)
                assert {o.status for o in outcomes} == {"sent"}, outcomes
                assert len(fake.token_calls) == 1 and fake.reused == []
                assert oa1.client.tokens.refreshes + oa2.client.tokens.refreshes == 1
                assert len(fake.sent) == 20
            finally:
                await run1.stop()
                await run2.stop()


async def test_outside_the_window_is_refused_with_a_reason(tmp_path: Path) -> None:
    async with FakeZaloOA().running() as fake:
        access, refresh = fake.issue_pair()
        settings = zalo_settings(
            f"sqlite:///{tmp_path / 'h.db'}", oa=fake, access_token=access, refresh_token=refresh
        )
        clock = FixedClock(TEST_NOW)
        async with running_app(settings, clock) as app:
            runtime = await start_zalo(app, settings, dispatch=dispatch, webhook=True)
            try:
                oa = runtime.channels.oa
                assert oa is not None
                ok, reason = await oa.can_message(USER, app.now())
                assert not ok and reason and "interaction" in reason
                await oa.handle_event(Signer(fake.app_id, "k").text(USER, "xin chào", 0))
                assert await oa.can_message(USER, app.now()) == (True, None)
                clock.advance(dt.timedelta(days=8))
                ok, reason = await oa.can_message(USER, app.now())
                assert not ok and reason and "7-day" in reason
                # Zalo's own refusal (-230) is an Outcome, not an exception
                fake.outside_window.add(USER)
                outcome = await oa.deliver(USER, Reply("Lịch xe thư viện tuần sau"))
                assert outcome.status == "skipped" and outcome.reason and "-230" in outcome.reason
            finally:
                await runtime.stop()


async def test_template_buttons_and_long_text(world: World) -> None:
    """Opt-in template buttons carry the number as payload; long text splits at 2000."""
    world.oa.template_buttons = True
    buttons = ((Button("Giờ mở cửa", "m:hours"), Button("Xe thư viện", "m:van")),)
    assert (await world.oa.deliver(USER, Reply("Chọn:", buttons=buttons))).status == "sent"
    message = world.fake.sent[-1]["message"]
    payload = message["attachment"]["payload"]["buttons"]
    assert [b["payload"] for b in payload] == ["1", "2"]
    assert await choices_of(world.app, USER) == ["m:hours", "m:van"]
    text = await world.say("2")  # the hidden payload comes back as the user's text
    assert text  # answered the "van" button
    world.fake.template_ok = False  # refused template → numbered text instead
    assert (await world.oa.deliver(USER, Reply("Chọn:", buttons=buttons))).status == "sent"
    assert "1. Giờ mở cửa" in world.fake.texts_to(USER)[-1]
    world.oa.template_buttons = False

    long = "\n".join(f"Dòng {i}: " + "thư viện lưu động " * 10 for i in range(40))
    before = len(world.fake.sent)
    assert (await world.oa.deliver(USER, Reply(long))).status == "sent"
    parts = world.fake.texts_to(USER)[-(len(world.fake.sent) - before) :]
    assert len(parts) >= 3 and all(len(p) <= 2000 for p in parts)


async def test_unfollow_stops_notifications_and_withdraw_erases(world: World) -> None:
    from sqlalchemy import func, select

    from db.models import UserRow
    from db.models_notify import SubscriptionRow

    await world.say("xin chào", user="880")  # the user exists now
    async with world.app.sessions.begin() as s:
        pk = await s.scalar(select(UserRow.id).where(UserRow.user_id == "880"))
        assert pk is not None
        s.add(
            SubscriptionRow(
                user_pk=pk, kind="all", value="", consented_at=world.app.now(), purpose="test"
            )
        )
    await world.signer.post(
        world.http, world.url, world.signer.follow("880", world.ts(), unfollow=True)
    )

    async def subscriptions() -> int:
        async with world.app.sessions() as s:
            return int(await s.scalar(select(func.count()).select_from(SubscriptionRow)) or 0)

    for _ in range(200):
        if await subscriptions() == 0:
            break
        await asyncio.sleep(0.02)
    assert await subscriptions() == 0

    withdraw = {
        "app_id": world.signer.app_id,
        "user_id": "880",
        "event_name": "user_withdraw",
        "timestamp": str(world.ts()),
    }
    await world.signer.post(world.http, world.url, withdraw)

    async def users() -> int:
        async with world.app.sessions() as s:
            count = await s.scalar(select(func.count()).where(UserRow.user_id == "880"))
            return int(count or 0)

    for _ in range(200):
        if await users() == 0:
            break
        await asyncio.sleep(0.02)
    assert await users() == 0
