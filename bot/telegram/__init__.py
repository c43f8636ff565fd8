"""The Telegram transport: thin python-telegram-bot handlers around ``bot.conversation``."""
