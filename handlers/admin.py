"""The Telegram side of the admin area: content uploads, sending a broadcast, per-admin menus.

The admin commands themselves are core commands (``bot/admin/area.py``) answered by the generic
command handler; only what needs Telegram lives here. Registered before the generic handlers
(see ``bot.app.register_areas``) so an upload or a broadcast button is claimed here first.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Any

from telegram import BotCommand, BotCommandScopeChat, Update
from telegram.constants import ParseMode
from telegram.error import RetryAfter, TelegramError
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from bot.kernel.i18n import gettext_for, ngettext_for
from bot.kernel.reply import Reply, esc
from handlers.common import BotContext, asker_for, send_replies, services_of
from handlers.lookup import answer_button
from store.admin_store import MAX_FILE_BYTES, MAX_ZIP_BYTES

log = logging.getLogger(__name__)

#: Telegram allows about 30 messages per second to different chats; stay below it.
BROADCAST_RATE = 25


async def on_document(update: Update, context: BotContext) -> None:
    """A file with the caption ``/reload`` (or ``/reload dry-run``): validate and apply it."""
    message = update.effective_message
    if message is None or message.document is None:
        return
    caption = (message.caption or "").strip()
    command, _sep, args = caption.partition(" ")
    if command.split("@")[0].lower() not in ("/reload", "／reload"):
        return
    who = asker_for(update, context)
    area = context.services.admin
    document = message.document
    name = document.file_name or "upload"
    if not who.is_admin:
        replies = await asyncio.to_thread(area.deny, "upload", who, name)
        await send_replies(context, message.chat_id, replies)
        return
    _ = gettext_for(who.lang)
    limit = MAX_ZIP_BYTES if name.lower().endswith(".zip") else MAX_FILE_BYTES
    if document.file_size is not None and document.file_size > limit:
        await asyncio.to_thread(area.audit_record, who, "upload", f"{name}: {document.file_size} bytes", "invalid")
        n_ = ngettext_for(who.lang)
        text = n_(
            "%(file)s is too large: %(size)d byte; at most %(limit)d.",
            "%(file)s is too large: %(size)d bytes; at most %(limit)d.", document.file_size,
        ) % {"file": name, "size": document.file_size, "limit": limit}
        await send_replies(context, message.chat_id, [Reply("❌ " + esc(text))])
        return
    telegram_file = await document.get_file()
    data = bytes(await telegram_file.download_as_bytearray())
    replies = await asyncio.to_thread(area.upload, name, data, args, who)
    await send_replies(context, message.chat_id, replies, reply_to=message.message_id)


async def on_broadcast_button(update: Update, context: BotContext) -> None:
    """Confirm or cancel a broadcast; a confirmation starts the sending in the background."""
    replies, who, chat_id = await answer_button(update, context)
    for reply in replies:
        if "broadcast" in reply.meta:
            context.application.create_task(
                deliver_broadcast(context.application, int(reply.meta["broadcast"]), chat_id, who.lang),
                name=f"broadcast-{reply.meta['broadcast']}",
            )


async def deliver_broadcast(
    app: Application, broadcast_id: int, report_to: int | None, lang: str = "zh"  # type: ignore[type-arg]
) -> tuple[int, int]:
    """Send a confirmed broadcast to every user within Telegram's limits; report the counts.

    With the reminders area running, messages go through its dispatcher's sender and pacer, so
    broadcasts and reminders share one global rate limit (30/s) and one per-chat limit, and
    Telegram's faults are classified the same way. Without it, a simple pacing of
    ``BROADCAST_RATE`` messages a second is used. A flood wait (429) pauses and retries; a
    blocked or deleted user counts as failed.
    """
    services = services_of(app)
    area = services.admin
    text = await asyncio.to_thread(area.broadcast_text, broadcast_id)
    if text is None:
        return 0, 0
    recipients = await asyncio.to_thread(area.broadcast_recipients)
    reminders = app.bot_data.get("reminders")
    dispatcher = getattr(reminders, "dispatcher", None)
    if dispatcher is not None:
        sent, failed = await _send_through_dispatcher(dispatcher, recipients, Reply(esc(text)))
    else:
        sent, failed = await _send_paced(app, recipients, text, broadcast_id)
    await asyncio.to_thread(area.broadcast_done, broadcast_id, sent, failed)
    if report_to is not None:
        _ = gettext_for(lang)
        note = _("Broadcast finished: sent %(sent)d, failed %(failed)d.") % {"sent": sent, "failed": failed}
        try:
            await app.bot.send_message(report_to, note)
        except TelegramError:
            log.exception("could not report broadcast %s", broadcast_id)
    return sent, failed


async def _send_through_dispatcher(dispatcher: Any, recipients: list[int], reply: Reply) -> tuple[int, int]:
    """Use the reminders dispatcher's pacer and sender (shared limits, same fault handling)."""
    from reminders.dispatcher import Outcome

    sent = failed = 0
    for user_id in recipients:
        for _attempt in range(5):
            await dispatcher.pacer.acquire()
            try:
                result = await dispatcher.sender.send(user_id, reply)
            finally:
                dispatcher.pacer.release(user_id)
            if result.outcome is Outcome.RETRY_AFTER:
                dispatcher.pacer.pause(result.retry_after or 1.0)
                continue
            break
        if result.outcome is Outcome.SENT:
            sent += 1
        else:
            log.info("broadcast to %s: %s %s", user_id, result.outcome.name, result.error)
            failed += 1
    return sent, failed


async def _send_paced(app: Application, recipients: list[int], text: str, broadcast_id: int) -> tuple[int, int]:  # type: ignore[type-arg]
    """At most ``BROADCAST_RATE`` messages a second through the application's bot."""
    sent = failed = 0
    interval = 1 / BROADCAST_RATE
    loop = asyncio.get_running_loop()
    for user_id in recipients:
        started = loop.time()
        for _attempt in range(3):
            try:
                await app.bot.send_message(user_id, esc(text), parse_mode=ParseMode.HTML,
                                           disable_web_page_preview=True)
                sent += 1
                break
            except RetryAfter as exc:
                retry = exc.retry_after
                await asyncio.sleep(retry.total_seconds() if isinstance(retry, dt.timedelta) else float(retry))
            except TelegramError as exc:  # blocked, deleted, chat not found: not retried
                log.info("broadcast %s: %s not reached: %s", broadcast_id, user_id, exc)
                failed += 1
                break
        else:
            failed += 1
        await asyncio.sleep(max(0.0, interval - (loop.time() - started)))
    return sent, failed


def admin_menu(app: Application, lang: str) -> list[BotCommand]:  # type: ignore[type-arg]
    """Every command, admin ones included: the menu an admin sees in their own chat."""
    commands = services_of(app).core.commands.values()
    return [BotCommand(c.name, c.description(lang)[:256]) for c in commands]


async def set_admin_menu(app: Application, user_id: int, is_admin: bool) -> None:  # type: ignore[type-arg]
    """Show the admin commands in an admin's private chat (a per-chat command scope), or remove them."""
    scope = BotCommandScopeChat(user_id)
    try:
        if is_admin:
            services = services_of(app)
            default = services.settings.default_language
            lang = (await asyncio.to_thread(services.asker, user_id)).lang
            await app.bot.set_my_commands(admin_menu(app, lang or default), scope=scope)
        else:
            await app.bot.delete_my_commands(scope=scope)
    except TelegramError as exc:  # the admin has not started the bot yet: chat not found
        log.warning("command menu of admin %s not updated: %s", user_id, exc)


async def install_menus(app: Application) -> None:  # type: ignore[type-arg]
    """Start-up hook: admin menus for every admin, and menu updates when /admin changes them."""
    area = services_of(app).admin
    loop = asyncio.get_running_loop()

    def changed(user_id: int, is_admin: bool) -> None:
        # Called from the worker thread that ran /admin; the menu call belongs on the bot's loop.
        asyncio.run_coroutine_threadsafe(set_admin_menu(app, user_id, is_admin), loop)

    area.on_admins_changed = changed
    for user_id in sorted(await asyncio.to_thread(area.admin_ids)):
        await set_admin_menu(app, user_id, True)


def register(app: Application) -> None:  # type: ignore[type-arg]
    # Before the generic handlers: a broadcast button must start the sending, which the generic
    # button handler would not do, and documents are not handled anywhere else.
    app.add_handler(MessageHandler(filters.Document.ALL & filters.CaptionRegex(r"^\s*[/／]reload"), on_document))
    app.add_handler(CallbackQueryHandler(on_broadcast_button, pattern=r"^bc:"))
