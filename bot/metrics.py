"""Prometheus metrics of one process (``GET /metrics``).

Counters and the latency histogram are kept in memory per process (Prometheus adds the
instances up); outbox figures are read from the database at scrape time, so any instance
reports the shared truth.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from db import outbox as outbox_db

if TYPE_CHECKING:
    from db.session import AsyncSession

CONTENT_TYPE = CONTENT_TYPE_LATEST
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class Metrics:
    """The process's metrics, in a registry of its own (no import-time globals)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.updates = Counter(
            "hoctap_updates",
            "Updates handled, by channel and kind",
            ["channel", "kind"],
            registry=self.registry,
        )
        self.answers = Counter(
            "hoctap_answers", "Free-text answers by outcome kind", ["kind"], registry=self.registry
        )
        self.latency = Histogram(
            "hoctap_answer_seconds",
            "Time to handle one update (dispatch)",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.outbox = Gauge(
            "hoctap_outbox_deliveries",
            "Outbox deliveries by status",
            ["status"],
            registry=self.registry,
        )
        self.leader = Gauge(
            "hoctap_scheduler_leader",
            "1 if this instance runs the scheduler",
            registry=self.registry,
        )
        self.content_version = Gauge(
            "hoctap_content_version",
            "Live content version of this instance",
            registry=self.registry,
        )

    async def render(self, session: AsyncSession) -> bytes:
        """Refresh the database-backed gauges and return the exposition text."""
        seen = await outbox_db.delivery_totals(session)
        for status in ("pending", "sending", "sent", "failed", "skipped"):
            self.outbox.labels(status).set(seen.get(status, 0))
        return generate_latest(self.registry)
