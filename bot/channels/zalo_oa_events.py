"""OA webhook events as :class:`Incoming`: who an event is about, what it says.

An unfollow or a data withdrawal becomes an ``Incoming`` with ``event`` set; what it means
(subscriptions stopped, data erased) is decided in ``handlers/``, never here.
"""

from __future__ import annotations

from typing import Any

from bot.channels.zalo_text import parse_text
from bot.messages import Incoming

CHANNEL = "zalo_oa"
UNSUPPORTED = {
    "user_send_image": "photo",
    "user_send_gif": "animation",
    "user_send_audio": "voice",
    "user_send_video": "video",
    "user_send_sticker": "sticker",
    "user_send_file": "file",
    "user_send_link": "link",
    "user_send_business_card": "contact",
}
LIFECYCLE = {"unfollow": "unfollow", "user_withdraw": "withdraw"}  # event name → Incoming.event


def to_incoming(event: dict[str, Any]) -> Incoming | None:
    """Translate an event; None for the ones we do not answer.

    A typed number stays text here: :func:`bot.channels.zalo_state.begin_message` maps it
    back to the choice it picks.
    """
    name = str(event.get("event_name", ""))
    user_id = event_user(event)
    if user_id is None:
        return None
    base: dict[str, Any] = {"channel": CHANNEL, "user_id": user_id, "chat_id": user_id}
    message = event.get("message") or {}
    if name in LIFECYCLE:
        return Incoming(**base, event=LIFECYCLE[name])
    if name in ("follow", "user_click_chatnow"):
        return Incoming(**base, command="start")
    if name == "user_send_text" and isinstance(message.get("text"), str):
        return Incoming(**base, **parse_text(message["text"]))
    if name == "user_send_location":
        where = location(message)
        return Incoming(**base, location=where) if where else None
    if name in UNSUPPORTED:
        return Incoming(**base, unsupported=UNSUPPORTED[name])
    return None


def event_user(event: dict[str, Any]) -> str | None:
    """The user an event is about (sender, follower or user_id), as a string."""
    name = str(event.get("event_name", ""))
    if name in ("follow", "unfollow"):
        value = (event.get("follower") or {}).get("id")
    elif name.startswith("user_send_"):
        value = (event.get("sender") or {}).get("id")
    else:
        value = event.get("user_id")
    return str(value) if value else None


def location(message: dict[str, Any]) -> tuple[float, float] | None:
    """Coordinates of a location event (attachments per the docs, ``message.location`` too)."""
    places = [
        (a.get("payload") or {}).get("coordinates")
        for a in message.get("attachments") or []
        if isinstance(a, dict) and a.get("type") == "location"
    ]
    places.append(message.get("location"))
    for place in places:
        if isinstance(place, dict):
            try:
                return float(place["latitude"]), float(place["longitude"])
            except (KeyError, TypeError, ValueError):
                continue
    return None
