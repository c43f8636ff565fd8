"""What the conversation needs from its collaborators (engine, store), as typing protocols."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from bot.decision import Context, Decision


class GroupLike(Protocol):
    id: str
    title: str
    intent_ids: tuple[str, ...]


class IntentLike(Protocol):
    id: str
    title: str
    related: tuple[str, ...]


class CatalogLike(Protocol):
    @property
    def groups(self) -> Sequence[Any]: ...
    @property
    def intents(self) -> Mapping[str, Any]: ...


class ResourcesLike(Protocol):
    def countries(self) -> list[tuple[str, str]]: ...


class EngineLike(Protocol):
    """The lead's ``bot.understanding.engine.Engine``."""

    @property
    def catalog(self) -> Any: ...
    @property
    def resources(self) -> Any: ...
    def decide(self, text: str, context: Context) -> Decision: ...
    def answer_for(self, intent_id: str, context: Context) -> Decision: ...
    def help_lines(self, context: Context) -> str: ...
