"""The Telegram channel: PTB ``Update`` → :class:`Incoming`, :class:`Reply` → Bot API calls.

The adapter only translates. What to answer is decided by the ``dispatch`` it is given; this module
knows Telegram's shapes and limits: commands with ``@botname``, callback queries that must be
answered, HTML parse mode, 4096-character messages and inline keyboards.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from telegram import (
    BotCommand,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.constants import ChatAction, MessageLimit, ParseMode
from telegram.constants import ChatType as ChatTypes
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.messages import Attachment, ChatType, Document, Incoming, Reply, split_text

if TYPE_CHECKING:
    from telegram import Bot

    from bot.app import App, Dispatch
    from bot.settings import Settings

log = logging.getLogger(__name__)

TelegramApp = Application[Any, Any, Any, Any, Any, Any]
T = TypeVar("T")

MAX_TEXT = MessageLimit.MAX_TEXT_LENGTH  # 4096 characters after entity parsing
MAX_RETRY_AFTER = 10.0  # seconds we are willing to wait to deliver an interactive reply
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


# --- Reply → Bot API -----------------------------------------------------------------------


def render_html(text: str) -> str:
    """Escape plain text for HTML parse mode; a whole line ``**like this**`` becomes bold."""
    lines = []
    for line in text.split("\n"):
        stripped = line.strip()
        if len(stripped) > 4 and stripped.startswith("**") and stripped.endswith("**"):
            lines.append(f"<b>{html.escape(stripped[2:-2], quote=False)}</b>")
        else:
            lines.append(html.escape(line, quote=False))
    return "\n".join(lines)


Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove


def keyboard(reply: Reply) -> Markup | None:
    """The reply's button rows as an inline keyboard (data is short ASCII already); or the
    one share-contact button the reply asks for; or the removal of that button."""
    if not reply.buttons:
        if reply.ask_contact:
            button = KeyboardButton(reply.ask_contact, request_contact=True)
            return ReplyKeyboardMarkup([[button]], resize_keyboard=True, one_time_keyboard=True)
        return ReplyKeyboardRemove() if reply.remove_keyboard else None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(b.label, callback_data=b.data) for b in row]
            for row in reply.buttons
        ]
    )


def reply_parts(reply: Reply) -> list[tuple[str, Markup | None]]:
    """Split a reply at line boundaries into ≤4096-character HTML parts, buttons on the last."""
    parts = split_text(reply.text, MAX_TEXT) if reply.text.strip() else ["…"]
    markup = keyboard(reply)
    last = len(parts) - 1
    return [(render_html(part), markup if i == last else None) for i, part in enumerate(parts)]


def _seconds(value: float | dt.timedelta) -> float:
    """``RetryAfter.retry_after`` is an int today and a timedelta with ``PTB_TIMEDELTA``."""
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


async def _call(make: Callable[[], Awaitable[T]]) -> T:
    """Run one API call; on a short flood wait, wait and try once more."""
    try:
        return await make()
    except RetryAfter as exc:
        wait = _seconds(exc.retry_after)
        if wait > MAX_RETRY_AFTER:
            raise
        await asyncio.sleep(wait)
        return await make()


async def send_attachment(bot: Bot, chat_id: int | str, attachment: Attachment) -> Message:
    """A chart as a photo, a spreadsheet as a document (the reply's text follows it)."""
    upload = InputFile(attachment.data, filename=attachment.file_name)
    if attachment.kind == "photo":
        return await _call(lambda: bot.send_photo(chat_id, upload))
    return await _call(lambda: bot.send_document(chat_id, upload))


async def send_reply(bot: Bot, chat_id: int | str, reply: Reply) -> list[Message]:
    """Send one reply as new message(s); usable by broadcasts too."""
    sent = []
    if reply.attachment is not None:
        sent.append(await send_attachment(bot, chat_id, reply.attachment))
    for text, markup in reply_parts(reply):
        message = await _call(
            lambda text=text, markup=markup: bot.send_message(  # type: ignore[misc]
                chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup
            )
        )
        sent.append(message)
    return sent


async def edit_reply(bot: Bot, message: Message, reply: Reply) -> None:
    """Replace the pressed message with the reply; send a new one if Telegram refuses."""
    parts = reply_parts(reply)
    text, markup = parts[0]
    if markup is not None and not isinstance(markup, InlineKeyboardMarkup):
        await send_reply(bot, message.chat_id, reply)  # only inline keyboards can be edited in
        return
    inline = markup
    try:
        await _call(
            lambda: bot.edit_message_text(
                text,
                chat_id=message.chat_id,
                message_id=message.message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=inline,
            )
        )
    except BadRequest as exc:
        if "not modified" not in exc.message.lower():
            log.info("edit failed (%s); sending a new message", exc.message)
            await send_reply(bot, message.chat_id, reply)
            return
    for text, markup in parts[1:]:
        await _call(
            lambda text=text, markup=markup: bot.send_message(  # type: ignore[misc]
                message.chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup
            )
        )


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
