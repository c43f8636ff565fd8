"""recovery-bot: a recovery-support chatbot for people affected by opioid addiction."""

__version__ = "0.1.0"
