"""A person's conversation state: what they were last answered, kept on their ``users`` row.

The rules, the same on every channel and in ``hoctap ask --conversation``:

* **Read.** The state comes with the user row the message already loads (``touch_user``); the
  same upsert forgets it when the person was silent for longer than the quiet period
  (``HOCTAP_CONVERSATION_MINUTES``, judged on their previous message). Nothing else reads it.
* **Write.** An answer's ``context`` replaces the state: a typed question (``engine.ask``), a
  button pressed or a menu choice (``engine.render``) alike. The new value is set on the row and
  goes to the database with the message's own writes: with a typed question's log row (in its
  INSERT on PostgreSQL, in the same flush on SQLite), otherwise in the commit of the message,
  where it takes the place of the staff-role query now folded into the upsert. An unchanged
  state is not written at all. The van's schedule and a commune's stops,
  listed by the menu, become the list just shown; menus that only offer buttons (the main
  menu, the topics, libraries, FAQ questions) leave the state as it is.
* **An answer without a context keeps the previous state**: a fallback (a misunderstood
  message, so "cái thứ hai" after it still means the list shown before), small talk ("cảm
  ơn", "xin chào") and help do not make the person start over.
* ``/start`` clears it; ``/xoadulieu`` erases it with the user row.
* One more key rides along: ``ask`` while the person types a question (or a line to add) for
  staff (:mod:`handlers.ask_person`); the next answer's context replaces it, as intended.
"""

from __future__ import annotations

from bot.understanding import Context
from db.models import UserRow


def current(user: UserRow) -> Context | None:
    """The state to read the person's message in (already expired by ``touch_user``)."""
    return Context.from_json(user.conversation) if user.conversation else None


def keep(user: UserRow, context: Context | None) -> None:
    """Remember ``context`` for the person's next message; None keeps what is there."""
    if context is None:
        return
    data = context.to_json()
    if data != user.conversation:
        user.conversation = data


def forget(user: UserRow) -> None:
    """Start over (``/start``)."""
    if user.conversation is not None:
        user.conversation = None
