"""The Telegram bot against a local stand-in of the Bot API over real HTTP (aiogram's configurable API
server), with booking and notifications running: a person lists workshops, books, gets the confirmation
and the reminder the notifications service sends on the bot channel, then cancels."""

from datetime import timedelta

from shared.natsserver import EmbeddedNatsServer
from tests.support.booking import FakeClock, booking_service
from tests.support.bus import eventually
from tests.support.frontends import BotApiStandIn, bot_front
from tests.support.notifications import notifications_service

CHAT = 777001


async def test_bot_books_gets_a_reminder_and_cancels(nats_server: EmbeddedNatsServer, database_url: str) -> None:
    clock = FakeClock()
    api = BotApiStandIn()
    await api.start()
    try:
        async with booking_service(nats_server.url, database_url, clock) as booking, \
                notifications_service(nats_server.url, database_url, clock) as notifications, \
                bot_front(nats_server.url, database_url, clock, api.url) as bot:
            await booking.send(booking.workshop("atelier-bot", capacity=5, starts_in=timedelta(days=2)))
            await booking.wait_for("booking.workshop_scheduled", count=1)
            await bot.settled()

            api.say(CHAT, "/start")
            await api.reply(CHAT, "Bonjour Odette")
            api.say(CHAT, "/ateliers")
            listing = await api.reply(CHAT, "Premiers pas sur Internet")
            assert listing["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "reserver:atelier-bot"

            api.press(CHAT, "reserver:atelier-bot")
            await api.reply(CHAT, "C'est réservé")
            confirmed = (await booking.wait_for("booking.confirmed", count=1))[0]
            assert confirmed["citizen"]["citizen_id"].startswith("tg-") and str(CHAT) not in str(confirmed)

            async def confirmation_sent() -> int:
                await notifications.run()
                return len([m for m in api.sent if m["chat_id"] == CHAT and "Premiers pas" in m["text"]
                            and m["reply_markup"] is None])

            await notifications.settle()
            await eventually(confirmation_sent, lambda n: n >= 1, 30, "the confirmation on the bot channel")

            clock.advance(timedelta(days=1, minutes=1))  # 24 h before the workshop: the first reminder

            async def reminder_sent() -> bool:
                await notifications.run()
                return any(m["chat_id"] == CHAT and m["text"].startswith("Rappel") for m in api.sent)

            await eventually(reminder_sent, bool, 30, "the reminder on the bot channel")

            api.say(CHAT, "/mesreservations")
            mine = await api.reply(CHAT, "Vos réservations")
            cancel = mine["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
            assert cancel == f"annuler:{confirmed['booking_id']}"
            api.press(CHAT, cancel)
            await api.reply(CHAT, "Votre réservation est annulée")
            cancelled = await booking.wait_for("booking.cancelled", count=1)
            assert cancelled[0]["by"] == "citizen"
            reminders = [m for m in api.sent if m["text"].startswith("Rappel")]
            assert len(reminders) == 1  # once per delivery key
    finally:
        await api.stop()
