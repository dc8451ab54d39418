"""The notifier's settings are part of the one settings object (``settings.notify``)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.app import build_app
from bot.notify.scheduler import Notifier
from bot.settings import NotifySettings, SettingsError, load_settings


def test_notify_variables_are_read_into_settings_notify(
    clean_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOCTAP_QUIET_START", "22:15")
    monkeypatch.setenv("HOCTAP_NOTIFY_RATE", "7")
    monkeypatch.setenv("HOCTAP_DIGEST_AT", "06:05")
    settings = load_settings()
    assert isinstance(settings.notify, NotifySettings)
    assert settings.notify.quiet_start == dt.time(22, 15)
    assert settings.notify.rate_per_s == 7.0
    assert settings.notify.digest_at == dt.time(6, 5)
    assert settings.notify.quiet_end == dt.time(7, 0)  # the default


def test_a_bad_notify_value_fails_load_settings_with_its_name(
    clean_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOCTAP_NOTIFY_WORKERS", "0")
    with pytest.raises(SettingsError, match=r"^HOCTAP_NOTIFY_WORKERS: "):
        load_settings()


async def test_the_notifier_uses_the_settings_it_was_built_with(
    clean_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOCTAP_NOTIFY_BATCH", "3")
    settings = load_settings()
    app = build_app(settings)
    try:
        monkeypatch.setenv("HOCTAP_NOTIFY_BATCH", "9")  # read once: a later change is not seen
        notifier = Notifier(app, {})
        assert notifier.config is settings.notify
        assert notifier.outbox.config.batch_size == 3
        given = NotifySettings(_env_file=None, batch_size=5)
        assert Notifier(app, {}, given).config is given
    finally:
        await app.close()
