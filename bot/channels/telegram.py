"""The Telegram channel: PTB ``Update`` → :class:`Incoming`, :class:`Reply` → Bot API calls.

The adapter only translates. What to answer is decided by the ``dispatch`` it is given; this module
knows Telegram's shapes and limits: commands with ``@botname``, callback queries that must be
answered, HTML parse mode, 4096-character messages and inline keyboards.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from telegram import (
    BotCommand,
    CallbackQuery,
    Message,
    Update,
)
from telegram.constants import ChatAction
from telegram.constants import ChatType as ChatTypes
from telegram.error import Forbidden, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.channels.telegram_replies import edit_reply, send_reply
from bot.messages import ChatType, Document, Incoming, Reply

if TYPE_CHECKING:
    from telegram import Bot

    from bot.app import App, Dispatch
    from bot.settings import Settings

log = logging.getLogger(__name__)

TelegramApp = Application[Any, Any, Any, Any, Any, Any]

TYPING_AFTER = 0.3  # seconds: "typing…" only for answers that are not ready by then

# Throughput (see benchmarks/bench_telegram.py). httpcore's pool does O(connections²) work on
# every request start and end and O(queued × connections) while requests wait for a connection,
# so the pool stays small and the handlers never outnumber it: an update holds at most two
# connections at once (the deferred chat action and the answer). PTB's defaults (256 concurrent
# updates, 256 connections, a 1 s pool timeout) cost milliseconds of CPU per request under load
# and fail with "Pool timeout" in a burst.
MAX_CONCURRENT_UPDATES = 32
CONNECTION_POOL_SIZE = 2 * MAX_CONCURRENT_UPDATES + 8  # + jobs and broadcasts on the same bot
POOL_TIMEOUT = 10.0  # seconds a request may wait for a free connection before TimedOut

COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", "Bắt đầu và menu chính"),
    ("lophoc", "Lớp học"),
    ("giomocua", "Giờ mở cửa thư viện"),
    ("xethuvien", "Lịch xe thư viện lưu động"),
    ("hoidap", "Hỏi đáp thường gặp"),
    ("thongbao", "Nhận thông báo"),
    ("help", "Hướng dẫn"),
    ("lang", "Ngôn ngữ / Language"),
)

# Checked in this order: an animation message also carries ``document`` for old clients.
UNSUPPORTED_KINDS: tuple[str, ...] = (
    "animation",
    "photo",
    "sticker",
    "voice",
    "video",
    "video_note",
    "audio",
)


# --- Update → Incoming ---------------------------------------------------------------------


def parse_command(text: str, bot_username: str | None) -> tuple[str, tuple[str, ...]] | None:
    """``/Start@HocTapBot a b`` → ``("start", ("a", "b"))``; None if addressed to another bot."""
    head, *args = text.split()
    name, _, target = head[1:].partition("@")
    if target and bot_username and target.lower() != bot_username.lower():
        return None
    return name.lower(), tuple(args)


def _document_fetch(bot: Bot, file_id: str) -> Callable[[], Awaitable[bytes]]:
    """A coroutine factory that downloads one file through ``getFile``."""

    async def fetch() -> bytes:
        file = await bot.get_file(file_id)
        return bytes(await file.download_as_bytearray())

    return fetch


def chat_type(kind: str | None) -> ChatType:
    """Telegram's chat type on the :class:`Incoming`: private, group (group and supergroup)
    or channel. Anything unknown is treated as a group: never as a private chat."""
    if kind == ChatTypes.PRIVATE:
        return "private"
    return "channel" if kind == ChatTypes.CHANNEL else "group"


def to_incoming(update: Update, bot: Bot) -> Incoming | None:
    """Translate one update; None for what we do not answer (edits, service messages, ...)."""
    user = update.effective_user
    chat = update.effective_chat
    if user is None or chat is None:
        return None
    base: dict[str, Any] = {
        "channel": "telegram",
        "user_id": str(user.id),
        "chat_id": str(chat.id),
        "language": user.language_code,
        "display_name": user.full_name or None,
        "chat_type": chat_type(chat.type),
    }
    query = update.callback_query
    if query is not None:
        return Incoming(**base, button=query.data) if query.data else None
    message = update.message
    if message is None:
        return None
    if message.text:
        if message.text.startswith("/") and message.text[1:2].isalnum():
            parsed = parse_command(message.text, bot.username)
            if parsed is None:
                return None
            return Incoming(**base, command=parsed[0], args=parsed[1])
        return Incoming(**base, text=message.text)
    if message.location is not None:
        return Incoming(**base, location=(message.location.latitude, message.location.longitude))
    if message.contact is not None:  # the share-contact button (or any contact card)
        return Incoming(**base, contact=message.contact.phone_number)
    for kind in UNSUPPORTED_KINDS:
        if getattr(message, kind):
            return Incoming(**base, unsupported=kind)
    if message.document is not None:
        doc = message.document
        return Incoming(
            **base,
            document=Document(
                file_name=doc.file_name or "file",
                mime_type=doc.mime_type,
                size=doc.file_size,
                fetch=_document_fetch(bot, doc.file_id),
            ),
        )
    return None


class TelegramChannel:
    """PTB callbacks that hand each update to ``dispatch`` and deliver its replies."""

    def __init__(
        self, app: App, dispatch: Dispatch, *, typing_after: float = TYPING_AFTER
    ) -> None:
        self.app = app
        self.dispatch = dispatch
        self.typing_after = typing_after

    async def on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A message: for free text whose answer takes a while, show "typing"; then answer.

        Most answers are ready in a few milliseconds, when a chat action would only cost a
        request; it is sent once the answer has taken ``typing_after`` seconds.
        """
        await self.answer_message(update, context.bot)

    async def process(self, update: Update, bot: Bot) -> None:
        """Answer one update of any kind (the durable intake's entry point)."""
        if update.callback_query is not None:
            await self.answer_callback(update, bot)
        else:
            await self.answer_message(update, bot)

    async def answer_message(self, update: Update, bot: Bot) -> None:
        """A message: dispatch, with "typing" for slow answers, and deliver the replies."""
        incoming = to_incoming(update, bot)
        if incoming is None or update.effective_chat is None:
            return
        chat_id = update.effective_chat.id
        typing: list[asyncio.Task[None]] = []
        timer = None
        if incoming.text is not None:
            timer = asyncio.get_running_loop().call_later(
                self.typing_after,
                lambda: typing.append(asyncio.create_task(self._typing(bot, chat_id))),
            )
        try:
            replies = await self.dispatch(incoming, self.app)
        finally:
            if timer is not None:
                timer.cancel()
        for task in typing:
            await task  # keep the order: the chat action reaches Telegram before the answer
        await self._deliver(bot, chat_id, replies, pressed=None)

    async def on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A button press: always answer the query (with the notice), then edit or send."""
        await self.answer_callback(update, context.bot)

    async def answer_callback(self, update: Update, bot: Bot) -> None:
        """A button press: dispatch, answer the query, then edit or send."""
        query = update.callback_query
        if query is None:
            return
        replies: Sequence[Reply] = ()
        try:
            incoming = to_incoming(update, bot)
            if incoming is not None:
                replies = await self.dispatch(incoming, self.app)
        finally:
            notice = next((r.notice for r in replies if r.notice), None)
            await self._answer(query, notice)
        chat = update.effective_chat
        if chat is None:
            return
        pressed = query.message if isinstance(query.message, Message) else None
        await self._deliver(bot, chat.id, replies, pressed=pressed)

    async def _typing(self, bot: Bot, chat_id: int) -> None:
        """sendChatAction; a failure here must not cost the answer."""
        try:
            await bot.send_chat_action(chat_id, ChatAction.TYPING)
        except TelegramError as exc:
            log.debug("chat action failed: %s", exc)

    async def _answer(self, query: CallbackQuery, notice: str | None) -> None:
        """answerCallbackQuery, so the client stops its spinner; a stale query is harmless."""
        try:
            await query.answer(text=notice[:200] if notice else None)
        except TelegramError as exc:
            log.debug("answering the callback query failed: %s", exc)

    async def _deliver(
        self, bot: Bot, chat_id: int, replies: Sequence[Reply], *, pressed: Message | None
    ) -> None:
        """Send the replies in order; the first ``edit`` reply may replace the pressed message."""
        try:
            for reply in replies:
                if reply.edit and pressed is not None and reply.attachment is None:
                    await edit_reply(bot, pressed, reply)
                    pressed = None  # only one message can take the pressed one's place
                else:
                    await send_reply(bot, chat_id, reply)
        except Forbidden as exc:
            log.info("chat %s cannot be reached: %s", chat_id, exc.message)


async def set_commands(bot: Bot) -> None:
    """The command menu, in Vietnamese."""
    await bot.set_my_commands([BotCommand(name, text) for name, text in COMMANDS])


async def _post_init(application: TelegramApp) -> None:
    """Set the command menu once the bot is initialised."""
    await set_commands(application.bot)


async def _on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log what went wrong; the user already got an apology from dispatch where possible."""
    log.error("telegram update failed: %s", context.error, exc_info=context.error)


def build_telegram(
    app: App,
    settings: Settings,
    *,
    dispatch: Dispatch,
    webhook: bool = False,
    typing_after: float = TYPING_AFTER,
) -> TelegramApp:
    """Build the PTB application (not started); ``webhook`` drops the Updater."""
    if not settings.telegram_bot_token:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any] = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token)
        .concurrent_updates(MAX_CONCURRENT_UPDATES)
        .connection_pool_size(CONNECTION_POOL_SIZE)
        .pool_timeout(POOL_TIMEOUT)
        .post_init(_post_init)
    )
    if settings.telegram_api_base_url:
        base = settings.telegram_api_base_url.rstrip("/")
        builder = builder.base_url(f"{base}/bot").base_file_url(f"{base}/file/bot")
    if webhook:
        builder = builder.updater(None)
    application = builder.build()
    channel = TelegramChannel(app, dispatch, typing_after=typing_after)
    application.add_handler(CallbackQueryHandler(channel.on_callback))
    application.add_handler(MessageHandler(filters.UpdateType.MESSAGE, channel.on_message))
    application.add_error_handler(_on_error)
    return application


async def start_telegram(application: TelegramApp) -> None:
    """initialize, post_init, start: what ``run_polling`` does before polling, for our runner."""
    await application.initialize()
    if application.post_init is not None:
        await application.post_init(application)
    await application.start()


async def stop_telegram(application: TelegramApp) -> None:
    """Stop polling (if any), the application, and shut it down."""
    if application.updater is not None and application.updater.running:
        await application.updater.stop()
    if application.running:
        await application.stop()
    await application.shutdown()
