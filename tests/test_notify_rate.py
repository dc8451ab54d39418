"""The outbox's rate limiter on a fake clock: its pace, per-chat interval and 429 pauses, exactly.

The clock moves only when the limiter sleeps (by the time it asked for), so every slot is a
number the rules give, whatever the machine's speed. The multi-process tests check that only the
leader sends; this file checks how fast it sends.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from bot.notify.outbox import RateLimiter

T0 = 1000.0  # the event loop's clock is not at 0 either


class FakeTime:
    """Seconds that pass only while the limiter sleeps, by exactly what it asked for."""

    def __init__(self) -> None:
        self.now = T0
        self.sleeps: list[float] = []
        self.during_next_sleep: Callable[[], None] | None = None  # e.g. another send's 429

    def time(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        hook, self.during_next_sleep = self.during_next_sleep, None
        if hook is not None:
            hook()
        await asyncio.sleep(0)


def limiter_on(clock: FakeTime, rate_per_s: float, per_chat_s: float = 0.0) -> RateLimiter:
    return RateLimiter(rate_per_s, per_chat_s, time=clock.time, sleep=clock.sleep)


async def sent_at(clock: FakeTime, limiter: RateLimiter, *chats: str) -> list[float]:
    """When each send (in turn, as one worker does) is allowed to go, relative to T0."""
    moments = []
    for chat in chats:
        await limiter.acquire(chat)
        moments.append(clock.now - T0)
    return moments


async def test_slots_are_spaced_one_over_the_rate_apart() -> None:
    clock = FakeTime()
    limiter = limiter_on(clock, rate_per_s=4.0)
    assert await sent_at(clock, limiter, "a", "b", "c", "d", "e") == [0, 0.25, 0.5, 0.75, 1.0]
    assert clock.sleeps == [0.25] * 4
    assert limiter.flood_waits == 0


async def test_an_idle_limiter_banks_no_credit() -> None:
    """No burst after a quiet spell: the next slots are spaced as ever, starting now."""
    clock = FakeTime()
    limiter = limiter_on(clock, rate_per_s=4.0)
    await limiter.acquire("a")
    clock.now += 10.0  # nothing to send for ten seconds
    assert await sent_at(clock, limiter, "b", "c", "d") == [10.0, 10.25, 10.5]


async def test_one_chat_waits_its_interval() -> None:
    clock = FakeTime()
    limiter = limiter_on(clock, rate_per_s=4.0, per_chat_s=1.0)
    assert await sent_at(clock, limiter, "a", "b", "a") == [0, 0.25, 1.0]
    # the chat's interval, not the next global slot (0.5), decided the second message to "a"
    assert clock.sleeps == [0.25, 0.75]


async def test_a_429_pauses_everyone_and_lowers_the_pace_by_a_fifth() -> None:
    clock = FakeTime()
    limiter = limiter_on(clock, rate_per_s=4.0)
    assert await sent_at(clock, limiter, "a", "b", "c") == [0, 0.25, 0.5]
    limiter.flood(5.0)  # at 0.5: nobody sends before 5.5
    assert limiter.flood_waits == 1
    assert limiter.rate == pytest.approx(3.2)
    moments = await sent_at(clock, limiter, "d", "e", "f")
    assert moments == pytest.approx([5.5, 5.5 + 1 / 3.2, 5.5 + 2 / 3.2])


async def test_a_429_seen_while_waiting_for_a_slot_pauses_that_send_too() -> None:
    clock = FakeTime()
    limiter = limiter_on(clock, rate_per_s=4.0)
    await limiter.acquire("a")
    # Another send gets a 429 (retry after 2 s) while "b" sleeps towards its slot at 0.25.
    clock.during_next_sleep = lambda: limiter.flood(2.0)
    assert await sent_at(clock, limiter, "b") == [2.25]
    assert clock.sleeps == [0.25, 2.0]


async def test_a_shorter_429_does_not_shorten_the_pause() -> None:
    clock = FakeTime()
    limiter = limiter_on(clock, rate_per_s=4.0)
    limiter.flood(5.0)
    limiter.flood(1.0)
    assert limiter.flood_waits == 2
    assert limiter.rate == pytest.approx(4.0 * 0.8 * 0.8)
    assert await sent_at(clock, limiter, "a") == [5.0]


async def test_successes_bring_the_pace_back_to_the_rate_and_no_higher() -> None:
    clock = FakeTime()
    limiter = limiter_on(clock, rate_per_s=4.0)
    limiter.flood(1.0)
    limiter.success()
    assert limiter.rate == pytest.approx(3.2 * 1.01 + 0.01)
    for _ in range(100):
        limiter.success()
    assert limiter.rate == 4.0
    assert await sent_at(clock, limiter, "a", "b") == [1.0, 1.25]


async def test_the_pace_never_drops_below_one_message_a_second() -> None:
    clock = FakeTime()
    limiter = limiter_on(clock, rate_per_s=4.0)
    for _ in range(20):
        limiter.flood(0.0)
    assert limiter.rate == 1.0
    assert await sent_at(clock, limiter, "a", "b", "c") == [0, 1.0, 2.0]
