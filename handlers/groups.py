"""The Telegram side of group mode: who may switch it (the group's administrators) and how often the
bot may speak in a group (a few compact cards a minute, one per message)."""

from __future__ import annotations

import asyncio
import logging
import re

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError
from telegram.ext import BaseHandler, MessageHandler, filters

from bot.kernel.i18n import gettext_for
from bot.kernel.reply import Reply
from bot.lookup.groups import GroupMode
from handlers.common import BotContext, send_replies
from handlers.updates import FloodGate

log = logging.getLogger(__name__)

GROUPMODE = re.compile(r"^[/／]groupmode(?:@(\S+))?\s*(.*)$", re.IGNORECASE | re.DOTALL)
#: Compact cards a group may get: three at once, then one every 20 seconds.
CARDS_BURST, CARDS_PER_SECOND = 3.0, 1 / 20
ADMINS = (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)


class GroupHandlers:
    """``/groupmode on|off`` for group administrators, and compact cards when it is on."""

    def __init__(self, groups: GroupMode) -> None:
        self.groups = groups
        self.gate = FloodGate(burst=CARDS_BURST, rate=CARDS_PER_SECOND, notice_every=float("inf"))

    async def on_groupmode(self, update: Update, context: BotContext) -> None:
        message, chat, user = update.effective_message, update.effective_chat, update.effective_user
        if message is None or chat is None or not message.text:
            return
        match = GROUPMODE.match(message.text)
        if match is None:
            return
        addressed, args = match.groups()
        if addressed and addressed.lower() != (context.bot.username or "").lower():
            return
        who = context.asker()
        _ = gettext_for(who.lang)
        if chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP):
            await send_replies(context, chat.id, [Reply(_(
                "Group mode works in group chats: add me to your delegation's group, and a group "
                "administrator sends /groupmode on there."))])
            return
        choice = args.strip().lower()
        if choice not in ("on", "off"):
            state = await asyncio.to_thread(self.groups.enabled, chat.id)
            text = _("Group mode is on: I answer symbols and identifiers mentioned here.") if state else \
                _("Group mode is off: I answer only commands and replies to me here.")
            await send_replies(context, chat.id, [Reply(text + "\n" + _("A group administrator switches it: /groupmode on or /groupmode off."))])
            return
        if not await self._is_admin(update, context):
            await send_replies(context, chat.id, [Reply(_("Only the group's administrators can switch group mode."))])
            return
        by = user.id if user is not None else 0
        await asyncio.to_thread(self.groups.switch, chat.id, choice == "on", by)
        text = _("Group mode is on: I answer symbols and identifiers mentioned here.") if choice == "on" else \
            _("Group mode is off: I answer only commands and replies to me here.")
        await send_replies(context, chat.id, [Reply(text)])

    @staticmethod
    async def _is_admin(update: Update, context: BotContext) -> bool:
        chat, user, message = update.effective_chat, update.effective_user, update.effective_message
        if chat is None or user is None:
            return False
        if message is not None and message.sender_chat is not None and message.sender_chat.id == chat.id:
            return True  # an anonymous administrator writes as the group itself
        try:
            member = await context.bot.get_chat_member(chat.id, user.id)
        except TelegramError as exc:
            log.warning("could not check group administrator: %s", exc)
            return False
        return member.status in ADMINS

    async def on_group_text(self, update: Update, context: BotContext) -> None:
        """One compact card for a message that names something, when group mode is on."""
        message, chat = update.effective_message, update.effective_chat
        if message is None or chat is None or not message.text:
            return
        if not await asyncio.to_thread(self.groups.enabled, chat.id):
            return
        reply = await asyncio.to_thread(self.groups.answer, message.text, context.asker().lang)
        if reply is None:
            return
        take, _warn = self.gate.admit(chat.id)
        if not take:
            log.info("group %s: compact card skipped (rate)", chat.id)
            return
        await send_replies(context, chat.id, [reply], reply_to=message.message_id)

    def handlers(self) -> list[BaseHandler[Update, BotContext, None]]:
        # /groupmode is claimed before the generic command handler; plain group messages that are not
        # replies to the bot reach on_group_text only (replies to the bot go to the generic handler).
        return [
            MessageHandler(filters.Regex(re.compile(r"^[/／]groupmode\b", re.IGNORECASE)), self.on_groupmode),
            MessageHandler(filters.ChatType.GROUPS & filters.TEXT & ~filters.COMMAND & ~filters.REPLY
                           & ~filters.Regex(r"^／"), self.on_group_text),  # ／help is a command too
        ]
