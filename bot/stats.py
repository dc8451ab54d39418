"""Statistics for staff: questions per day, how they were answered, subscribers, broadcasts.

Nothing personal: counts and question texts only (the texts carry no link to who asked).
The same figures feed ``/thongke`` in the chat, ``hoctap stats`` and the daily digest.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.inbox import group_questions
from db import outbox as outbox_db
from db import questions as questions_db
from db import stats as stats_db

if TYPE_CHECKING:
    from db.session import AsyncSession

ANSWERED = {"faq", "course", "courses", "center", "library_hours", "mobile_stops"}
SMALL_TALK = {"greeting", "thanks", "help"}


@dataclass
class Stats:
    """The figures of one report."""

    days: list[dt.date]
    per_day: list[int]
    answered_per_day: list[int]
    outcome: Counter[str] = field(default_factory=Counter)
    top: list[tuple[str, int]] = field(default_factory=list)
    by_topic: list[tuple[str, int]] = field(default_factory=list)
    by_commune: list[tuple[str, int]] = field(default_factory=list)
    all_subscribers: int = 0
    broadcasts: list[tuple[str, str, dict[str, int]]] = field(default_factory=list)
    to_staff: questions_db.Figures | None = None  # questions citizens sent to staff

    @property
    def total(self) -> int:
        return sum(self.per_day)

    def share(self, outcome: str) -> float:
        asked = sum(self.outcome.values())
        return self.outcome[outcome] / asked if asked else 0.0


def _outcome(kind: str) -> str:
    if kind in ANSWERED:
        return "answered"
    if kind == "clarify":
        return "clarified"
    if kind in SMALL_TALK:
        return "small_talk"
    return "fallback"


async def collect(session: AsyncSession, now: dt.datetime, tz: ZoneInfo, days: int = 30) -> Stats:
    """Gather the figures of the last ``days`` days (today included)."""
    today = now.astimezone(tz).date()
    first = today - dt.timedelta(days=days - 1)
    start = dt.datetime.combine(first, dt.time(0), tzinfo=tz)
    end = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    rows = await stats_db.questions_between(session, start, end)  # those days, no later
    day_list = [first + dt.timedelta(days=n) for n in range(days)]
    per_day = Counter[dt.date]()
    answered = Counter[dt.date]()
    stats = Stats(days=day_list, per_day=[], answered_per_day=[])
    for _, at, kind, _ in rows:
        day = at.astimezone(tz).date()
        outcome = _outcome(kind)
        per_day[day] += 1
        stats.outcome[outcome] += 1
        if outcome == "answered":
            answered[day] += 1
    stats.per_day = [per_day[d] for d in day_list]
    stats.answered_per_day = [answered[d] for d in day_list]
    asked = [(r[0], r[3]) for r in rows if _outcome(r[2]) != "small_talk"]
    stats.top = [(g.text, g.count) for g in group_questions(asked)[:10]]

    subs = await stats_db.subscription_counts(session)
    stats.by_topic = [(value, n) for kind, value, n in subs if kind == "topic"]
    stats.by_commune = [(value, n) for kind, value, n in subs if kind == "commune"]
    stats.all_subscribers = sum(n for kind, _, n in subs if kind == "all")

    stats.to_staff = await questions_db.figures(session, start)
    recent = await outbox_db.recent_broadcasts(session, 5)
    by_status = await outbox_db.counts(session, [b.id for b in recent])
    for broadcast in recent:
        title = broadcast.title or broadcast.text.split("\n")[0]
        stats.broadcasts.append((title[:60], broadcast.status, by_status[broadcast.id]))
    return stats


def duration(hours: float) -> str:
    """'2 giờ', '1 giờ 30 phút', '45 phút', '3 ngày 2 giờ' (rounded to the minute)."""
    minutes = round(hours * 60)
    days, minutes = divmod(minutes, 24 * 60)
    parts = [f"{days} ngày"] if days else []
    if minutes // 60:
        parts.append(f"{minutes // 60} giờ")
    if minutes % 60 or not parts:
        parts.append(f"{minutes % 60} phút")
    return " ".join(parts)


def render_text(stats: Stats, *, pack_name: str) -> str:
    """The report as Vietnamese text (chat and terminal)."""
    asked = sum(stats.outcome.values())
    lines = [
        f"📊 Thống kê {len(stats.days)} ngày: {pack_name}",
        f"Câu hỏi: {stats.total} (hôm nay {stats.per_day[-1] if stats.per_day else 0})",
    ]
    if asked:
        lines.append(
            f"Trả lời được {stats.share('answered'):.0%}, hỏi lại để chọn "
            f"{stats.share('clarified'):.0%}, chưa trả lời được {stats.share('fallback'):.0%}"
            f", chào hỏi {stats.share('small_talk'):.0%}"
        )
    if stats.top:
        lines.append("Hỏi nhiều nhất:")
        lines += [f"  {n}× {text}" for text, n in stats.top[:5]]
    if stats.to_staff is not None and stats.to_staff.sent:
        figures = stats.to_staff
        line = f"Hỏi cán bộ: {figures.sent} câu, đã trả lời {figures.answered}"
        if figures.median_hours is not None:
            line += f", thời gian trả lời trung vị {duration(figures.median_hours)}"
        lines.append(line)
    lines.append(f"Người nhận mọi thông báo: {stats.all_subscribers}")
    if stats.by_topic:
        lines.append("Theo chủ đề: " + ", ".join(f"{v} {n}" for v, n in stats.by_topic[:8]))
    if stats.by_commune:
        lines.append("Theo xã: " + ", ".join(f"{v} {n}" for v, n in stats.by_commune[:8]))
    if stats.broadcasts:
        lines.append("Thông báo gần đây:")
        for title, status, counts in stats.broadcasts:
            done = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
            lines.append(f"  • {title} ({status}; {done or 'chưa có người nhận'})")
    return "\n".join(lines)


def render_chart(stats: Stats) -> bytes:
    """A PNG: questions per day (bars) and the share answered (line)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 3.6), dpi=100)
    try:
        labels = [d.strftime("%d/%m") for d in stats.days]
        ax.bar(labels, stats.per_day, color="#4C72B0", label="Câu hỏi")
        ax.set_ylabel("Câu hỏi mỗi ngày")
        ax.tick_params(axis="x", labelrotation=90, labelsize=7)
        rate = ax.twinx()
        shares = [
            (a / n * 100 if n else None)
            for a, n in zip(stats.answered_per_day, stats.per_day, strict=True)
        ]
        xs = [x for x, s in zip(labels, shares, strict=True) if s is not None]
        rate.plot(
            xs,
            [s for s in shares if s is not None],
            color="#DD8452",
            marker="o",
            label="% trả lời được",
        )
        rate.set_ylim(0, 100)
        rate.set_ylabel("% trả lời được")
        ax.set_title("Câu hỏi và tỉ lệ trả lời được, 30 ngày")
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        return buffer.getvalue()
    finally:
        plt.close(fig)
