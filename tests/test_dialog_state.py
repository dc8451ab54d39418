"""Dialogs' typed state writes the JSON it always did, reads it back, and reads what it cannot
understand (stored by another version, or damaged) as no dialog."""

from __future__ import annotations

from handlers.dialogs import Announcement, Inbox, InboxGroup, SignUp


def test_announcement_round_trips_in_its_stored_form() -> None:
    stored = {"step": "title", "topics": [], "communes": [], "all": True}
    assert Announcement(step="title").to_data() == stored  # as /thongbaomoi always stored it
    full = {**stored, "step": "confirm", "title": "T", "body": "B", "when": "2026-12-03T08:00"}
    state = Announcement.from_data(full)
    assert state is not None and state.title == "T" and state.to_data() == full
    assert Announcement.from_data({"step": "title", "topics": "x"}) is None
    assert Announcement.from_data({"topics": []}) is None


def test_inbox_round_trips_and_refuses_damaged_data() -> None:
    group = {"rows": [3, 4], "texts": ["a", "b"], "faq": ["f"]}
    inbox = Inbox.from_data({"groups": [group]})
    assert inbox is not None and inbox.groups == [InboxGroup([3, 4], ["a", "b"], ["f"])]
    assert inbox.to_data() == {"groups": [group]}
    assert Inbox.from_data({"groups": [{"rows": ["x"]}]}) is None
    assert Inbox.from_data({"groups": "x"}) is None
    assert InboxGroup.from_data({"texts": ["a"]}) == InboxGroup([], ["a"], [])


def test_sign_up_keeps_its_keys() -> None:
    data = {"course": "c1", "step": "phone", "name": "Lan"}
    assert SignUp.from_data(data).to_data() == data
    assert SignUp(course="c1").to_data() == {"course": "c1", "step": "consent"}
