"""Shared fixtures: packs, a fresh database per test on SQLite and on real PostgreSQL.

PostgreSQL tests run when ``HOCTAP_TEST_POSTGRES_URL`` names a server (``.ci/run`` sets it);
each test gets a database of its own, dropped afterwards, so runs never interfere. With
``HOCTAP_REQUIRE_POSTGRES=1`` a skipped PostgreSQL test fails the run.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
DEV_PACK = ROOT / "tests" / "packs" / "dev"
BUNDLED_PACK = ROOT / "content"
PG_ENV = "HOCTAP_TEST_POSTGRES_URL"

_skipped_postgres: list[str] = []
os.environ.setdefault("PTB_TIMEDELTA", "true")  # PTB 22: durations as timedelta (no warnings)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgres: needs the PostgreSQL server")
    # An exception inside the engine fails the test instead of looking like "didn't understand".
    from bot.understanding.engine import Engine

    Engine.raise_errors = True


# Tests that run several real `hoctap run` processes (kills, outages, several instances): under
# pytest-xdist (scripts/test.sh runs two workers) they all go to one worker, one at a time, so
# they never compete with each other for the machine's cores.
PROCESS_TESTS = frozenset(
    {
        "test_ask_person_kill.py",
        "test_intake_kill.py",
        "test_intake_outage.py",
        "test_logging.py",
        "test_multi_instance.py",
        "test_notify_kill.py",
    }
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.name in PROCESS_TESTS:
            item.add_marker(pytest.mark.xdist_group("processes"))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and "postgres" in report.keywords:
        _skipped_postgres.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if os.environ.get("HOCTAP_REQUIRE_POSTGRES") == "1" and _skipped_postgres:
        print(f"\n{len(_skipped_postgres)} PostgreSQL tests were skipped; failing the run.")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture
def dev_pack() -> Path:
    if not DEV_PACK.is_dir():
        pytest.fail(f"the dev pack is missing at {DEV_PACK}")
    return DEV_PACK


@pytest.fixture
def pack_copy(tmp_path: Path, dev_pack: Path) -> Path:
    """A writable copy of the dev pack, for tests that break it."""
    target = tmp_path / "pack"
    shutil.copytree(dev_pack, target)
    return target


async def _admin(url: str, sql: str) -> None:
    import asyncpg

    u = make_url(url)
    conn = await asyncpg.connect(
        host=u.host or "127.0.0.1",
        port=u.port or 5432,
        user=u.username or "postgres",
        password=u.password,
        database=u.database or "postgres",
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def fresh_postgres() -> AsyncIterator[str]:
    """Create a PostgreSQL database for one test and drop it afterwards."""
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} is not set")
    name = f"hoctap_t_{uuid.uuid4().hex[:12]}"
    await _admin(base, f'CREATE DATABASE "{name}"')
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        await _admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A fresh, empty PostgreSQL database for this test (dropped afterwards)."""
    async with fresh_postgres() as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'hoctap.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """The same test on a fresh SQLite file and on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'hoctap.db'}"
        return
    async with fresh_postgres() as url:
        yield url


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[dict[str, str]]:
    """An environment with no HOCTAP_/TELEGRAM_/ZALO_ settings leaking in from the machine."""
    for key in list(os.environ):
        if key.startswith(("HOCTAP_", "TELEGRAM_", "ZALO_")) and key != PG_ENV:
            monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)
    env = {k: v for k, v in os.environ.items()}
    env["XDG_DATA_HOME"] = str(tmp_path / "xdg")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    yield env
