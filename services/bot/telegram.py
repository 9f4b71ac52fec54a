"""aiogram wiring: commands and buttons → ``Conversation``; the Bot API server is configurable (a local one
in tests, or a self-hosted ``telegram-bot-api``)."""

from aiogram import Bot, F, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.filters import Command, CommandStart
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from services.bot.conversation import Conversation, Reply
from services.bot.settings import BotSettings


def make_bot(settings: BotSettings) -> Bot:
    assert settings.bot_token is not None
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.bot_api_url)) if settings.bot_api_url \
        else AiohttpSession()
    return Bot(settings.bot_token.get_secret_value(), session=session)


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text=label, callback_data=data)]
                                                 for label, data in reply.buttons])


async def answer(message: Message, reply: Reply) -> None:
    await message.answer(reply.text, reply_markup=keyboard(reply))


def make_router(talk: Conversation) -> Router:
    router = Router(name="maillage")

    @router.message(CommandStart())
    async def start(message: Message) -> None:
        name = message.from_user.first_name if message.from_user else ""
        await answer(message, await talk.start(message.chat.id, name))

    @router.message(Command("stop"))
    async def stop(message: Message) -> None:
        await answer(message, await talk.stop(message.chat.id))

    @router.message(Command("ateliers"))
    async def workshops(message: Message) -> None:
        await answer(message, await talk.workshops())

    @router.message(Command("mesreservations"))
    async def mine(message: Message) -> None:
        await answer(message, await talk.mine(message.chat.id))

    @router.callback_query(F.data.startswith("reserver:") | F.data.startswith("annuler:"))
    async def button(query: CallbackQuery) -> None:
        await query.answer()
        action, _, target = (query.data or "").partition(":")
        chat_id = query.message.chat.id if query.message else query.from_user.id
        reply = await (talk.book(chat_id, target) if action == "reserver" else talk.cancel(chat_id, target))
        if query.bot is not None:
            await query.bot.send_message(chat_id, reply.text, reply_markup=keyboard(reply))

    @router.message()
    async def anything(message: Message) -> None:
        await answer(message, Reply(f"Je n'ai pas compris.\n{Conversation.help_text()}"))

    return router
