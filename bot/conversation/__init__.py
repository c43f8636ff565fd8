"""Transport-neutral conversation core: handlers return replies, transports send them."""

from bot.conversation.registry import Flow, Sender, load_features
from bot.conversation.reply import Button, Chat, Reply
from bot.conversation.service import Conversation

__all__ = ["Button", "Chat", "Conversation", "Flow", "Reply", "Sender", "load_features"]
