"""A staff member's file, read before the conversation's transaction opens.

Reading a spreadsheet or a zip of YAML can take seconds; it runs in a separate process
(:mod:`bot.pack.offload`) so the event loop keeps answering citizens, and before the message's
database transaction begins, so that no lock is held meanwhile (on SQLite a writer blocks every
other writer). Only staff files are read: a citizen's file is never opened.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from bot.messages import Document, Incoming
from bot.pack.models import Pack
from bot.pack.offload import read_upload
from bot.pack.xlsx import MAX_UPLOAD_BYTES, UploadError
from db import staff as staff_db

if TYPE_CHECKING:
    from bot.app import App


async def read_ahead(incoming: Incoming, app: App) -> Incoming:
    """The same message, its document read (or refused) if it comes from staff."""
    doc = incoming.document
    if doc is None or not incoming.private:
        return incoming
    async with app.sessions() as session:
        role = await staff_db.role_of(
            session, incoming.channel, incoming.user_id, app.settings.staff_ids
        )
    if role not in ("admin", "editor"):
        return incoming
    if doc.size is not None and doc.size > MAX_UPLOAD_BYTES:
        return incoming  # refused by the handler, without downloading it
    data = await doc.fetch()

    async def fetched() -> bytes:
        return data

    result: tuple[Pack | None, list[str]] | str
    try:
        result = await read_upload(doc.file_name, data)
    except UploadError as exc:
        result = str(exc)
    return dataclasses.replace(
        incoming, document=dataclasses.replace(doc, fetch=fetched, read=result)
    )


async def read_document(doc: Document) -> tuple[bytes, Pack | None, list[str]]:
    """The file's bytes, and its pack or problems; raises UploadError for a refusal."""
    data = await doc.fetch()
    result = doc.read
    if result is None:  # not read ahead (called outside dispatch): read it now, off the loop
        pack, problems = await read_upload(doc.file_name, data)
        return data, pack, problems
    if isinstance(result, str):
        raise UploadError(result)
    pack, problems = result
    return data, pack, list(problems)
