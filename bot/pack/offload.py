"""Reading an upload off the event loop: in a separate process, with a memory cap and a time
limit, so that no file — however large or hostile — can freeze the citizens' answers.

A fresh process per upload (uploads are rare): whatever memory the parsing took is returned
when it exits, and a runaway one is killed.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from bot.pack.models import Pack
from bot.pack.sources import read_bytes
from bot.pack.xlsx import UploadError

TIME_LIMIT = 120.0  # seconds a file may take to read
MEMORY_LIMIT = 1536 * 1024 * 1024  # bytes of address space for the reading process


def _limit_memory(limit: int) -> None:
    """In the worker: cap its address space, so a bomb ends in MemoryError, not in swap."""
    with contextlib.suppress(ImportError, ValueError, OSError):
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _read(name: str, data: bytes) -> tuple[Pack | None, list[str]]:
    try:
        return read_bytes(name, data)
    except MemoryError:
        raise UploadError("tệp cần quá nhiều bộ nhớ để đọc, không nhận") from None
    except RecursionError:
        raise UploadError("tệp lồng nhau quá sâu, không nhận") from None


async def read_upload(
    name: str,
    data: bytes,
    *,
    time_limit: float = TIME_LIMIT,
    memory_limit: int = MEMORY_LIMIT,
) -> tuple[Pack | None, list[str]]:
    """:func:`read_bytes` in a worker process; raises UploadError with a message for staff."""
    pool = ProcessPoolExecutor(
        max_workers=1,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_limit_memory,
        initargs=(memory_limit,),
    )
    loop = asyncio.get_running_loop()
    try:
        future = loop.run_in_executor(pool, _read, name, data)
        return await asyncio.wait_for(future, time_limit)
    except TimeoutError:
        raise UploadError(
            f"đọc tệp quá {int(time_limit)} giây (tệp quá lớn hoặc quá phức tạp), không nhận"
        ) from None
    except BrokenProcessPool:
        raise UploadError("tệp cần quá nhiều bộ nhớ để đọc, không nhận") from None
    finally:
        for process in list(getattr(pool, "_processes", {}).values()):
            if process.is_alive():
                process.kill()
        pool.shutdown(wait=False, cancel_futures=True)
