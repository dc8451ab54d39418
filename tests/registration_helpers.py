"""A copy of the dev pack for sign-up tests, and small dispatch helpers.

In the copy, on the test clock (2026-12-02 09:00): ``nuoi-ca-ao`` (starts 14/12) has 1 seat;
``trong-cam-quyt`` needs no registration; ``tin-hoc-van-phong`` stopped taking sign-ups on
01/12 (``registration_closes``); ``chan-nuoi-ga`` has finished; ``may-cong-nghiep`` (35 seats,
starts 04/01/2027) takes sign-ups.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from bot.app import App
from bot.messages import Incoming, Reply
from handlers import dispatch
from tests.conftest import DEV_PACK

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = dt.datetime(2026, 12, 2, 9, 0, tzinfo=TZ)


def signup_pack(tmp_path: Path, **capacity: int) -> Path:
    """The dev pack with the sign-up settings above (``capacity`` overrides, by course id)."""
    target = tmp_path / "signup-pack"
    shutil.copytree(DEV_PACK, target)
    path = target / "courses.yaml"
    courses: list[dict[str, Any]] = yaml.safe_load(path.read_text(encoding="utf-8"))
    seats = {"nuoi-ca-ao": 1, **{k.replace("_", "-"): v for k, v in capacity.items()}}
    for course in courses:
        if course["id"] in seats:
            course["capacity"] = seats[course["id"]]
        if course["id"] == "trong-cam-quyt":
            course["registration"] = "Không cần đăng ký, mời bà con đến dự"
        if course["id"] == "tin-hoc-van-phong":
            course["registration_closes"] = dt.date(2026, 12, 1)
    path.write_text(yaml.safe_dump(courses, allow_unicode=True), encoding="utf-8")
    return target


async def send(app: App, incoming: Incoming) -> Reply:
    replies = await dispatch(incoming, app)
    assert replies, incoming
    return replies[-1]


def press(user: str, data: str, channel: str = "terminal") -> Incoming:
    return Incoming(channel, user, user, button=data)  # type: ignore[arg-type]


def text(user: str, value: str, channel: str = "terminal") -> Incoming:
    return Incoming(channel, user, user, text=value)  # type: ignore[arg-type]


def cmd(user: str, name: str, *args: str) -> Incoming:
    return Incoming("terminal", user, user, command=name, args=args)


async def sign_up(
    app: App, user: str, course: str, name: str = "Nguyễn Thị Lan", phone: str = "0912345678"
) -> Reply:
    """The whole in-chat sign-up on the terminal: press, agree, name, phone."""
    await send(app, press(user, f"rg:{course}"))
    await send(app, press(user, "rgy"))
    await send(app, text(user, name))
    return await send(app, text(user, phone))
