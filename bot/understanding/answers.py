"""Answers computed from the pack and the clock: classes, sessions, libraries, the van, clarify."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

from bot import wording
from bot.pack import visits
from bot.pack.days import day_label
from bot.pack.models import Course, Stop, parse_range
from bot.understanding import cues, replies, schedule
from bot.understanding.answer import Answer, Choice
from bot.understanding.base import EngineBase
from bot.understanding.dates import When
from bot.understanding.decide import Candidate
from bot.understanding.parsing import Parsed, _label
from bot.understanding.weights import (
    MOBILE_DAYS,
    MOBILE_LIST,
    MONTH_LIST,
)
from bot.wording import with_commune


def _visit_line(visit: visits.Visit, today: dt.date | None = None) -> str:
    day, stop = visit
    label = day_label(day, today)
    return (
        f"- {label[:1].upper()}{label[1:]}, {stop.time}: {with_commune(stop.place, stop.commune)}"
    )


def _in_part(time_range: str, part: str) -> bool:
    """Whether a van visit is there in that part of the day: 16:30-19:00 is there in the
    evening too ('tối mai xe ở đâu')."""
    low, high = schedule.PARTS[part]
    start, end = parse_range(time_range)
    return start < high and end > low


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(23, 59))


class Answers(EngineBase):
    """Rendering methods of the engine (mixed into :class:`Engine`)."""

    # -- answers -------------------------------------------------------------------------------

    def _small_talk(self, kind: str) -> Answer:
        text = {
            "greeting": replies.greeting_text(self.pack),
            "thanks": replies.THANKS_TEXT,
            "help": replies.help_text(self.pack),
        }[kind]
        return Answer(kind, (), 1.0, text)

    def label(self, ref: str) -> str:
        """Short button label of an item."""
        kind, _, item = ref.partition(":")
        pack = self.pack
        name: str | None = None
        if kind == "faq" and (f := self.faq_by_id.get(item)):
            name = f.question
        elif kind == "course" and (c := pack.course(item)):
            name = c.title
        elif kind == "center" and (ce := pack.center(item)):
            name = ce.name
        elif kind == "library" and (lib := pack.library(item)):
            name = f"Giờ mở cửa {lib.name}"
        elif kind == "stop" and (st := pack.stop(item)):
            name = f"Xe thư viện: {st.place}"
        elif kind == "topic" and (t := pack.topic(item)):
            name = f"Lớp {t.name}"
        elif ref == "@mobile":
            name = "Lịch xe thư viện lưu động"
        elif ref == "@courses":
            name = "Các lớp sắp khai giảng"
        return _label(name or ref)

    def _clarify(self, picks: Sequence[Candidate], score: float) -> Answer:
        refs = [p.ref for p in picks if not p.ref.startswith("@")]
        if not refs:
            return self.fallback()
        choices = tuple(Choice(r, self.label(r)) for r in refs)
        text = "Bạn muốn hỏi về:\n" + "\n".join(
            f"{n}. {c.label}" for n, c in enumerate(choices, 1)
        )
        ids = tuple(r.split(":", 1)[1] for r in refs)
        return Answer("clarify", ids, round(score, 3), text, choices)

    def _filtered(
        self, q: Parsed, center_ids: set[str], free_only: bool, today: dt.date
    ) -> list[Course]:
        courses = list(self.pack.courses)
        if center_ids:
            courses = [c for c in courses if c.center in center_ids] or courses
        if q.when is not None and not q.when.now:
            span = q.when
            inside = [c for c in courses if c.start_date <= span.end and c.end_date >= span.start]
            courses = inside or courses
        named = frozenset().union(*(h.positions for h in self.hits(q, "center:")))
        if q.find(cues.UPCOMING) - named:
            courses = [c for c in courses if replies.status(c, today) == "upcoming"] or courses
        live = [c for c in courses if replies.status(c, today) != "finished"]
        courses = live or courses
        if free_only:
            courses = [c for c in courses if c.fee == 0] or courses
        return replies.course_order(courses, today)[:8]

    def _courses_answer(
        self,
        courses: Sequence[Course],
        today: dt.date,
        heading: str,
        free_only: bool,
        center_ids: set[str],
        q: Parsed | None = None,
        now: dt.datetime | None = None,
        named: frozenset[str] = frozenset(),
    ) -> Answer:
        """The classes listed under ``heading``: those one can still join (an ended one only
        when the question names it (``named``), when the question asks about the
        past, or when nothing else is left)."""
        chosen = list(courses)
        if q is None or not q.find(cues.PAST):
            chosen = [
                c for c in chosen if c.id in named or replies.status(c, today) != "finished"
            ] or chosen
        if free_only:
            chosen = [c for c in chosen if c.fee == 0] or chosen
        if center_ids:
            chosen = [c for c in chosen if c.center in center_ids] or chosen
        dated = q is not None and q.when is not None and not q.when.now
        if q is not None and now is not None and (dated or q.part is not None):
            return self._sessions_answer(chosen, q, now, heading)
        ordered = replies.course_order(chosen, today)[:8]
        text = replies.courses_text(self.pack, ordered, today, heading)
        choices = tuple(Choice(f"course:{c.id}", _label(c.title)) for c in ordered)
        return Answer("courses", tuple(c.id for c in ordered), 1.0, text, choices)

    def _sessions_answer(
        self, courses: Sequence[Course], q: Parsed, now: dt.datetime, heading: str
    ) -> Answer:
        """Classes that meet on the day / part of the day asked; an honest 'none' first."""
        today = now.date()
        when = q.when
        if when is None or when.now:
            # 'lớp buổi tối' (no day): every class still running or to come, in that part.
            if when is None:
                live = [
                    c
                    for c in courses
                    if replies.status(c, today) != "finished" and schedule.in_part(c, q.part)
                ]
                ordered = replies.course_order(live, today)[: schedule.LIST_LIMIT]
                part = schedule.PART_NAMES[q.part or "toi"]
                if not ordered:
                    text = f"Hiện không có lớp nào học buổi {part}."
                    return Answer("courses", (), 1.0, text)
                text = replies.courses_text(
                    self.pack, ordered, today, f"{heading.removesuffix(' học')} học buổi {part}"
                )
                choices = tuple(Choice(f"course:{c.id}", _label(c.title)) for c in ordered)
                return Answer("courses", tuple(c.id for c in ordered), 1.0, text, choices)
            when = dataclasses.replace(when, start=today, end=today, now=False)
        found = schedule.meeting(courses, when, now)[: schedule.LIST_LIMIT]
        label = schedule.span_label(when, today)
        if not found:
            lines = [f"{label} không có lớp nào học."]
            nxt = schedule.next_session(
                [c for c in courses if replies.status(c, today) != "finished"],
                max(when.end, today),
                when.part,
            ) or schedule.next_session(courses, max(when.end, today))
            if nxt is not None:
                course, day = nxt
                lines.append("Buổi học gần nhất sau đó:")
                lines.append(schedule.session_line(course, day, self._where(course), today))
                choice = (Choice(f"course:{course.id}", _label(course.title)),)
                return Answer("courses", (), 1.0, "\n".join(lines), choice)
            return Answer("courses", (), 1.0, lines[0])
        count = f"{len(found)} lớp" if len(found) > 1 else "1 lớp"
        lines = [f"{label} có {count}:"]
        lines += [schedule.session_line(c, d, self._where(c), today) for c, d in found]
        choices = tuple(Choice(f"course:{c.id}", _label(c.title)) for c, _ in found)
        return Answer("courses", tuple(c.id for c, _ in found), 1.0, "\n".join(lines), choices)

    def _open_libraries_answer(self, q: Parsed, now: dt.datetime) -> Answer:
        """Which libraries are open on the day(s) asked (or now), open ones first."""
        today = now.date()
        when = q.when
        libs = list(self.pack.libraries)
        if when is None or when.now:
            open_now = [lib for lib in libs if replies.is_open(lib, now)]
            lines = (
                [f"Bây giờ có {len(open_now)} thư viện đang mở cửa:"]
                if open_now
                else ["Bây giờ không có thư viện nào đang mở cửa."]
            )
            lines += [
                f"- {lib.name}: {replies.fmt_ranges(replies.ranges_on(lib, today))}"
                for lib in open_now
            ]
            rest = [lib for lib in libs if lib not in open_now]
            for lib in rest:
                nxt = replies.next_opening(lib, now)
                if nxt is not None:
                    lines.append(f"- {lib.name}: mở lại {replies.moment_label(nxt, today)}")
            ids = tuple(lib.id for lib in open_now or rest)
            return Answer("library_hours", ids, 1.0, "\n".join(lines), self._lib_choices(ids))
        end = min(when.end, when.start + dt.timedelta(days=13))
        days = [when.start + dt.timedelta(days=n) for n in range((end - when.start).days + 1)]
        found: list[tuple[str, list[str]]] = []
        for lib in libs:
            parts = []
            for day in days:
                ranges = replies.ranges_on(lib, day)
                if when.part:
                    low, high = schedule.PARTS[when.part]
                    ranges = [(a, b) for a, b in ranges if a < high and b > low]
                if ranges:
                    label = schedule.span_label(
                        dataclasses.replace(when, start=day, end=day), today
                    )
                    parts.append(
                        f"{label} {replies.fmt_ranges(ranges)}"
                        if len(days) > 1
                        else replies.fmt_ranges(ranges)
                    )
            if parts:
                found.append((lib.id, parts))
        label = schedule.span_label(dataclasses.replace(when, end=end), today)
        if not found:
            lines = [f"{label} không có thư viện nào mở cửa."]
            for lib in libs:
                closure = next((c for d in days if (c := replies.closure_on(lib, d))), None)
                lines.append(
                    f"- {lib.name}: {wording.closed(closure.reason if closure else None)}"
                )
            ids = tuple(lib.id for lib in libs)
            return Answer("library_hours", ids, 1.0, "\n".join(lines), self._lib_choices(ids))
        count = f"{len(found)} thư viện" if len(found) > 1 else "1 thư viện"
        lines = [f"{label} có {count} mở cửa:"]
        for lib_id, parts in found:
            named = self.pack.library(lib_id)
            lines.append(f"- {named.name if named else lib_id}: {'; '.join(parts)}")
        closed = [lib for lib in libs if lib.id not in {i for i, _ in found}]
        if closed:
            lines.append("Không mở: " + ", ".join(lib.name for lib in closed) + ".")
        ids = tuple(i for i, _ in found)
        return Answer("library_hours", ids, 1.0, "\n".join(lines), self._lib_choices(ids))

    def _lib_choices(self, ids: Sequence[str]) -> tuple[Choice, ...]:
        return tuple(Choice(f"library:{i}", self.label(f"library:{i}")) for i in ids)

    def _where(self, course: Course) -> str:
        center = self.pack.center(course.center)
        return center.commune if center and center.commune else (center.name if center else "")

    def _course_answer(self, course: Course, today: dt.date) -> Answer:
        text = replies.course_text(self.pack, course, today)
        return Answer("course", (course.id,), 1.0, text)

    def _center_answer(self, center: object) -> Answer:
        from bot.pack.models import Center

        assert isinstance(center, Center)
        return Answer("center", (center.id,), 1.0, replies.center_text(center))

    def _library_answer(
        self,
        lib: object,
        now: dt.datetime,
        when: When | None,
        closures: bool,
        at: dt.time | None = None,
    ) -> Answer:
        from bot.pack.models import Library

        assert isinstance(lib, Library)
        text = replies.library_text(lib, now, when, closures)
        if at is not None:
            day = when.start if when is not None and not when.now else now.date()
            text = (
                replies.open_at_line(lib, dt.datetime.combine(day, at), now.date()) + "\n" + text
            )
        return Answer("library_hours", (lib.id,), 1.0, text)

    def _mobile_answer(
        self, q: Parsed | None, stop_refs: Sequence[str], now: dt.datetime
    ) -> Answer:
        """The van's visits: on the day(s) asked, else the next ones not yet over; an honest
        'no visit' first when the day asked has none, then the next visit."""
        pack = self.pack
        today = now.date()
        stops: list[Stop] = [s for s in pack.stops if f"stop:{s.id}" in stop_refs] or pack.stops
        specific = bool(stop_refs)
        when = q.when if q is not None else None
        part = (when.part if when else None) or (q.part if q is not None else None)
        vehicle = pack.mobile.vehicle if pack.mobile else None
        name = vehicle.name if vehicle else "Xe thư viện lưu động"
        phone = vehicle.phone if vehicle else None
        lines: list[str] = []
        if when is not None and not when.now:
            shown = visits.between(stops, when.start, when.end)
            if part is not None:
                shown = [v for v in shown if _in_part(v[1].time, part)]
            long_span = (when.end - when.start).days > 7
            shown = shown[: MONTH_LIST if long_span else MOBILE_LIST]
            label = schedule.span_label(when, today)
            over = [v for v in shown if visits.is_over(v, now)]
            if not shown:
                where = f" ở {stops[0].commune}" if specific else ""
                lines.append(f"{label} {name[:1].lower()}{name[1:]} không có lịch{where}.")
                shown = visits.upcoming(stops, max(now, _start_of(when.end)), 365)[:1]
                if shown:
                    lines.append("Lần tới: " + _visit_line(shown[0], today).removeprefix("- "))
            else:
                lines.append(f"{label}, {name[:1].lower()}{name[1:]} đến:")
                lines += [
                    _visit_line(v, today) + (" (đã xong)" if v in over else "") for v in shown
                ]
            if shown and over and len(over) == len(shown):
                nxt = visits.upcoming(stops, now, 365)[:1]
                if nxt:
                    lines.append("Lần tới: " + _visit_line(nxt[0], today).removeprefix("- "))
                    shown = [*shown, nxt[0]]
        else:
            horizon = 120 if specific else MOBILE_DAYS
            shown = visits.upcoming(stops, now, horizon)
            if part is not None:
                shown = [v for v in shown if _in_part(v[1].time, part)] or shown
            if not shown:
                shown = visits.upcoming(stops, now, 365)[:3]
            shown = shown[:4] if specific else shown[:MOBILE_LIST]
            if shown:
                lines.append(f"Lịch {name[:1].lower()}{name[1:]}:")
                lines += [_visit_line(v, today) for v in shown]
            else:
                lines.append(f"{name} hiện chưa có lịch" + (" ở đó." if specific else "."))
        if phone:
            lines.append(f"Liên hệ xe: {phone}.")
        ids: list[str] = []
        for _, s in shown:
            if s.id not in ids:
                ids.append(s.id)
        choices = tuple(Choice(f"stop:{i}", _label(pack.stop(i).place)) for i in ids)  # type: ignore[union-attr]
        return Answer("mobile_stops", tuple(ids), 1.0, "\n".join(lines), choices)

    def _render(self, ref: str, now: dt.datetime) -> Answer:
        kind, _, item = ref.partition(":")
        today = now.date()
        pack = self.pack
        if kind == "faq" and (f := self.faq_by_id.get(item)):
            return Answer("faq", (f.id,), 1.0, f.answer.strip())
        if kind == "course" and (c := pack.course(item)):
            return self._course_answer(c, today)
        if kind == "center" and (ce := pack.center(item)):
            return self._center_answer(ce)
        if kind == "library" and (lib := pack.library(item)):
            return self._library_answer(lib, now, None, True)
        if kind == "stop" and (st := pack.stop(item)):
            return self._mobile_answer(None, [f"stop:{st.id}"], now)
        if kind == "topic" and (t := pack.topic(item)):
            courses = [c for c in pack.courses if c.topic == t.id]
            return self._courses_answer(courses, today, f"Các lớp {t.name}", False, set())
        if ref == "@mobile":
            return self._mobile_answer(None, [], now)
        if ref == "@courses":
            return self._courses_answer(pack.courses, today, "Các lớp học", False, set())
        return self.fallback()
