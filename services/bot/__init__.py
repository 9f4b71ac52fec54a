"""The Telegram bot: lists workshops, books and cancels like any client, and passes on the notifications
service's bot-channel messages (``notification.bot_message``) to the people who use it."""
