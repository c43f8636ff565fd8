"""Everything the rules read, loaded once: the catalog, the raw intent files, the crisis layer."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.catalog import OUT_OF_SCOPE_FILE, SYNONYMS_FILE, Catalog
from bot.paths import content_dir, intents_dir, project_root
from bot.yamlfile import LineDict, load_yaml


@dataclass
class LintContext:
    """The loaded content under ``root``. ``catalog`` is None when it failed to load."""

    root: Path
    catalog: Catalog
    intent_files: dict[Path, LineDict] = field(default_factory=dict)
    """Each intent file as written, for fields the catalog does not keep (``crisis_ok``)."""

    @property
    def intents_dir(self) -> Path:
        return intents_dir(self.root)

    @property
    def content_dir(self) -> Path:
        return content_dir(self.root)

    def raw_intent(self, intent_id: str) -> LineDict | None:
        """The mapping of one intent as written in its file."""
        intent = self.catalog.intents[intent_id]
        data = self.intent_files.get(intent.path)
        for item in _items(data):
            if item.get("id") == intent_id:
                return item
        return None


def _items(data: Any) -> list[LineDict]:
    if not isinstance(data, dict) or not isinstance(data.get("intents"), list):
        return []
    return [item for item in data["intents"] if isinstance(item, LineDict)]


def load_context(root: Path | None = None) -> LintContext:
    """Load the catalog (raises ``ContentError`` on a structural problem) and its raw files."""
    root = root or project_root()
    catalog = Catalog.load(root)
    special = {SYNONYMS_FILE, OUT_OF_SCOPE_FILE}
    files = {
        p: data
        for p in sorted(intents_dir(root).glob("*.yaml"))
        if p.name not in special and isinstance(data := load_yaml(p), LineDict)
    }
    return LintContext(root=root, catalog=catalog, intent_files=files)


def intent_items(data: Any) -> list[LineDict]:
    """The intent mappings of one raw intent file."""
    return _items(data)
