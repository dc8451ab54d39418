"""Subscriptions, reminders and scheduled broadcasts through an outbox (see ARCHITECTURE.md).

``start_notifications(app, senders)`` starts the scheduler inside the bot process and returns
the :class:`~bot.notify.scheduler.Notifier`; tests call ``await notifier.tick()`` directly.
``lead_scheduler`` runs it while this instance holds the scheduler lock (every channel's
process: the runner, the terminal chat).
"""

from __future__ import annotations

from bot.notify.scheduler import Notifier, lead_scheduler, start_notifications

__all__ = ["Notifier", "lead_scheduler", "start_notifications"]
