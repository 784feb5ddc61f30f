"""The Telegram side of the admin feature: content uploads, sending a broadcast, per-admin menus.

The admin commands themselves are router commands (``bot/admin/area.py``) answered by the generic
command handler; only what needs Telegram lives here. Its handlers come before the generic ones
(see ``bot.app``) so an upload or a broadcast button is claimed here first.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable

from telegram import BotCommand, BotCommandScopeChat, Update
from telegram.constants import ParseMode
from telegram.error import Forbidden, RetryAfter, TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler, MessageHandler, filters

from bot.admin.area import AdminArea
from bot.kernel.askers import Askers
from bot.kernel.i18n import gettext_for, ngettext_for
from bot.kernel.reply import Reply, esc
from bot.kernel.router import Router
from handlers.common import App, BotContext, send_replies
from handlers.lookup import MessageHandlers
from reminders.dispatcher import Dispatcher, Outcome
from reminders.service import Reminders
from store.admin_store import MAX_FILE_BYTES, MAX_ZIP_BYTES

log = logging.getLogger(__name__)

#: Telegram allows about 30 messages per second to different chats; stay below it.
BROADCAST_RATE = 25


class AdminHandlers:
    """Uploads, broadcasts and admin menus, bound to the admin feature."""

    def __init__(self, admin: AdminArea, router: Router, askers: Askers, messages: MessageHandlers,
                 reminders: Callable[[], Reminders | None]) -> None:
        self.admin = admin
        self.router = router
        self.askers = askers
        self.messages = messages
        self.reminders = reminders

    async def on_document(self, update: Update, context: BotContext) -> None:
        """A file with the caption ``/reload`` (or ``/reload dry-run``): validate and apply it."""
        message = update.effective_message
        if message is None or message.document is None:
            return
        caption = (message.caption or "").strip()
        command, _sep, args = caption.partition(" ")
        if command.split("@")[0].lower() not in ("/reload", "／reload"):
            return
        who = context.asker()
        area = self.admin
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

    async def on_broadcast_button(self, update: Update, context: BotContext) -> None:
        """Confirm or cancel a broadcast; a confirmation starts the sending in the background."""
        replies, who, chat_id = await self.messages.answer_button(update, context)
        for reply in replies:
            if "broadcast" in reply.meta:
                context.application.create_task(
                    self.deliver_broadcast(context.application, int(reply.meta["broadcast"]), chat_id, who.lang),
                    name=f"broadcast-{reply.meta['broadcast']}",
                )

    async def deliver_broadcast(self, app: App, broadcast_id: int, report_to: int | None,
                                lang: str = "zh") -> tuple[int, int]:
        """Send a confirmed broadcast to every user within Telegram's limits; report the counts.

        With the reminders area running, messages go through its dispatcher's sender and pacer, so
        broadcasts and reminders share one global rate limit (30/s) and one per-chat limit, and
        Telegram's faults are classified the same way. Without it, a simple pacing of
        ``BROADCAST_RATE`` messages a second is used. A flood wait (429) pauses and retries; a
        blocked or deleted user counts as failed.
        """
        area = self.admin
        text = await asyncio.to_thread(area.broadcast_text, broadcast_id)
        if text is None:
            return 0, 0
        recipients = await asyncio.to_thread(area.broadcast_recipients)
        reminders = self.reminders()
        gone: list[int] = []
        if reminders is not None:
            sent, failed = await self._send_through_dispatcher(reminders.dispatcher, recipients, Reply(esc(text)), gone)
        else:
            sent, failed = await self._send_paced(app, recipients, text, broadcast_id, gone)
        await asyncio.to_thread(area.unreachable, gone)
        await asyncio.to_thread(area.broadcast_done, broadcast_id, sent, failed)
        if report_to is not None:
            _ = gettext_for(lang)
            note = _("Broadcast finished: sent %(sent)d, failed %(failed)d.") % {"sent": sent, "failed": failed}
            try:
                await app.bot.send_message(report_to, note)
            except TelegramError:
                log.exception("could not report broadcast %s", broadcast_id)
        return sent, failed

    @staticmethod
    async def _send_through_dispatcher(dispatcher: Dispatcher, recipients: list[int], reply: Reply,
                                       gone: list[int]) -> tuple[int, int]:
        """Use the reminders dispatcher's pacer and sender (shared limits, same fault handling);
        the users Telegram refuses for good are added to ``gone``."""
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
                if result.outcome is Outcome.GONE:
                    gone.append(user_id)
                log.info("broadcast to %s: %s %s", user_id, result.outcome.name, result.error)
                failed += 1
        return sent, failed

    @staticmethod
    async def _send_paced(app: App, recipients: list[int], text: str, broadcast_id: int,
                          gone: list[int]) -> tuple[int, int]:
        """At most ``BROADCAST_RATE`` messages a second through the application's bot; the users
        who blocked it are added to ``gone``."""
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
                    if isinstance(exc, Forbidden):
                        gone.append(user_id)
                    failed += 1
                    break
            else:
                failed += 1
            await asyncio.sleep(max(0.0, interval - (loop.time() - started)))
        return sent, failed

    def admin_menu(self, lang: str) -> list[BotCommand]:
        """Every command, admin ones included: the menu an admin sees in their own chat."""
        return [BotCommand(c.name, c.description(lang)[:256]) for c in self.router.menu_commands(admin=True)]

    async def set_admin_menu(self, app: App, user_id: int, is_admin: bool) -> None:
        """Show the admin commands in an admin's private chat (a per-chat command scope), or remove them."""
        scope = BotCommandScopeChat(user_id)
        try:
            if is_admin:
                lang = (await asyncio.to_thread(self.askers.asker, user_id)).lang
                await app.bot.set_my_commands(self.admin_menu(lang), scope=scope)
            else:
                await app.bot.delete_my_commands(scope=scope)
        except TelegramError as exc:  # the admin has not started the bot yet: chat not found
            log.warning("command menu of admin %s not updated: %s", user_id, exc)

    async def install_menus(self, app: App) -> None:
        """Start-up hook: admin menus for every admin, and menu updates when /admin changes them."""
        area = self.admin
        loop = asyncio.get_running_loop()

        def changed(user_id: int, is_admin: bool) -> None:
            # Called from the worker thread that ran /admin; the menu call belongs on the bot's loop.
            asyncio.run_coroutine_threadsafe(self.set_admin_menu(app, user_id, is_admin), loop)

        area.on_admins_changed = changed
        for user_id in sorted(await asyncio.to_thread(area.admin_ids)):
            await self.set_admin_menu(app, user_id, True)

    def handlers(self) -> list[BaseHandler[Update, BotContext, None]]:
        # Before the generic handlers: a broadcast button must start the sending, which the generic
        # button handler would not do, and documents are not handled anywhere else.
        return [
            MessageHandler(filters.Document.ALL & filters.CaptionRegex(r"^\s*[/／]reload"), self.on_document),
            CallbackQueryHandler(self.on_broadcast_button, pattern=r"^bc:"),
        ]
