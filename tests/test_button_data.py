"""One short-data scheme: data too long for 64 bytes travels as an ``h:`` digest of its ref, and
the data of the older hashed schemes (already under messages in people's chats) still resolves."""

from __future__ import annotations

import hashlib

from bot.messages import MAX_BUTTON_DATA
from bot.pack import Pack, load_pack
from bot.wording import slugify
from handlers.context import resolve, short_data
from handlers.conversation import BUTTON_CODES, BUTTONS
from handlers.staff import ACTION_CODES, ACTIONS
from tests.conftest import BUNDLED_PACK


def _pack() -> Pack:
    pack, _ = load_pack(BUNDLED_PACK)
    assert pack is not None
    return pack


def _old(value: str) -> str:
    return hashlib.sha1(value.encode()).hexdigest()[:16]


def test_short_data_round_trips_through_resolve() -> None:
    pack = _pack()
    long_id = "x" * 70
    assert short_data("rg:abc") == "rg:abc"
    digest = short_data(f"rg:{long_id}")
    assert digest.startswith("h:") and len(digest) <= MAX_BUTTON_DATA
    topic, course, stop = pack.topics[0], pack.courses[0], pack.stops[0]
    commune = slugify(pack.stops[0].commune)
    for ref in (
        f"n:t:{topic.id}",
        f"n:c:{commune}",
        f"rm:c:{course.id}",
        f"rm:s:{stop.id}",
        f"rg:{course.id}",
        f"sr:l:{course.id}",
        f"sr:x:{course.id}",
    ):
        assert resolve("h:" + _old(ref), pack) == ref
    assert resolve("h:0000000000000000", pack) is None  # gone: the stale-button answer


def test_old_hashed_data_resolves_to_the_same_refs() -> None:
    pack = _pack()
    topic, course, stop = pack.topics[0], pack.courses[0], pack.stops[0]
    commune = slugify(pack.stops[0].commune)
    assert resolve(f"n:T:{_old(topic.id)}", pack) == f"n:t:{topic.id}"
    assert resolve(f"n:C:{_old(commune)}", pack) == f"n:c:{commune}"
    assert resolve(f"rm:C:{_old(course.id)}", pack) == f"rm:c:{course.id}"
    assert resolve(f"rm:S:{_old(stop.id)}", pack) == f"rm:s:{stop.id}"
    assert resolve(f"rG:{_old(course.id)}", pack) == f"rg:{course.id}"
    assert resolve(f"sr:L:{_old(course.id)}", pack) == f"sr:l:{course.id}"
    assert resolve(f"sr:X:{_old(course.id)}", pack) == f"sr:x:{course.id}"
    # an old one whose item is gone goes on as it is: its handler says the item is gone
    assert resolve("rG:0000000000000000", pack) == "rG:0000000000000000"


def test_every_button_code_names_an_action() -> None:
    assert set(BUTTON_CODES.values()) == set(BUTTONS)
    assert set(ACTION_CODES.values()) == set(ACTIONS)
