"""Per-user ordered workers: events of one user are handled in order, users in parallel."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import zlib
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


class Workers(Generic[T]):
    """N asyncio workers; items with the same key go to the same worker, so stay in order."""

    def __init__(
        self,
        name: str,
        handle: Callable[[T], Awaitable[None]],
        *,
        count: int = 4,
        size: int = 1000,
    ) -> None:
        self.name = name
        self.handle = handle
        self.queues: list[asyncio.Queue[T]] = [asyncio.Queue(size) for _ in range(count)]
        self.tasks: list[asyncio.Task[None]] = []
        self.handled = 0

    def submit(self, key: str, item: T) -> bool:
        """Queue ``item``; False when that worker's queue is full."""
        queue = self.queues[zlib.crc32(key.encode()) % len(self.queues)]
        try:
            queue.put_nowait(item)
        except asyncio.QueueFull:
            return False
        return True

    def start(self) -> None:
        """Start the worker tasks (idempotent)."""
        if not self.tasks:
            self.tasks = [
                asyncio.create_task(self._run(q), name=f"{self.name}-{i}")
                for i, q in enumerate(self.queues)
            ]

    async def _run(self, queue: asyncio.Queue[T]) -> None:
        while True:
            item = await queue.get()
            try:
                await self.handle(item)
            except Exception:
                log.exception("%s: handling an event failed", self.name)
            finally:
                self.handled += 1
                queue.task_done()

    def idle(self) -> bool:
        """Nothing queued or in progress."""
        return all(q.empty() and q._unfinished_tasks == 0 for q in self.queues)  # type: ignore[attr-defined]

    async def stop(self) -> None:
        """Cancel the workers (queued items are dropped)."""
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.tasks = []
