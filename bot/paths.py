"""Where the catalog and content live.

A source checkout (or an editable install) reads ``intents/`` and ``content/`` next to the
package; ``RECOVERY_BOT_HOME`` points an installed bot at another copy of them.
"""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    """The folder holding ``intents/`` and ``content/``."""
    override = os.environ.get("RECOVERY_BOT_HOME", "").strip()
    if override:
        return Path(override)
    return Path(__file__).resolve().parent.parent


def intents_dir(root: Path | None = None) -> Path:
    return (root or project_root()) / "intents"


def content_dir(root: Path | None = None) -> Path:
    return (root or project_root()) / "content"
