"""Where the catalog and content live.

Lookup order (first match wins):

1. an operator's own copy: ``RECOVERY_BOT_HOME`` (or ``recovery-bot --content PATH``, which sets
   it for the process), a folder holding ``intents/`` and ``content/``;
2. the packaged copy: an installed wheel carries both folders inside the package, under
   ``bot/_content/`` (the build puts them there, see setup.py);
3. a source checkout (or an editable install): ``intents/`` and ``content/`` next to ``bot/``.

``recovery-bot copy-content DIR`` copies whichever of them is in use to ``DIR`` so an operator
can edit it and point ``RECOVERY_BOT_HOME`` at it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path

HOME_VARIABLE = "RECOVERY_BOT_HOME"
PACKAGE_DIR = Path(__file__).resolve().parent
PACKAGED_ROOT = PACKAGE_DIR / "_content"
"""Where a wheel keeps its copy of ``intents/`` and ``content/`` (absent in a checkout)."""
CHECKOUT_ROOT = PACKAGE_DIR.parent
CONTENT_FOLDERS = ("intents", "content")


def packaged_root() -> Path:
    """The copy that came with this installation: the wheel's, else the source checkout's."""
    if (PACKAGED_ROOT / "intents").is_dir():
        return PACKAGED_ROOT
    return CHECKOUT_ROOT


def override_root(env: Mapping[str, str] | None = None) -> Path | None:
    """The operator's own copy named by ``RECOVERY_BOT_HOME``, if set."""
    override = (os.environ if env is None else env).get(HOME_VARIABLE, "").strip()
    return Path(override).expanduser() if override else None


def project_root(env: Mapping[str, str] | None = None) -> Path:
    """The folder holding ``intents/`` and ``content/`` (``env`` default: ``os.environ``)."""
    return override_root(env) or packaged_root()


def describe_root(root: Path | None = None, env: Mapping[str, str] | None = None) -> str:
    """Which copy ``root`` is, for messages: "own copy", "packaged copy" or "source checkout"."""
    root = root or project_root(env)
    if override_root(env) is not None and root == override_root(env):
        return f"own copy in {root} ({HOME_VARIABLE})"
    if root == PACKAGED_ROOT:
        return f"packaged copy in {root}"
    return f"source checkout {root}"


def missing_folders(root: Path) -> list[str]:
    """The content folders ``root`` lacks (empty when it is a usable content home)."""
    return [name for name in CONTENT_FOLDERS if not (root / name).is_dir()]


def use_content_home(path: Path) -> Path:
    """Make ``path`` the content home of this process (``--content``); it must hold both folders.

    Raises ``ValueError`` with a message naming what is missing.
    """
    path = path.expanduser().resolve()
    missing = missing_folders(path)
    if missing:
        raise ValueError(
            f"{path} has no {' or '.join(f'{m}/' for m in missing)} folder: --content and "
            f"{HOME_VARIABLE} name a folder holding intents/ and content/ "
            "(make one with `recovery-bot copy-content DIR`)"
        )
    os.environ[HOME_VARIABLE] = str(path)
    return path


def copy_content(target: Path, source: Path | None = None) -> list[Path]:
    """Copy ``intents/`` and ``content/`` from ``source`` (the copy in use) into ``target``.

    Refuses to overwrite: raises ``FileExistsError`` if either folder already exists there.
    Returns the folders written.
    """
    source = source or project_root()
    target = target.expanduser()
    existing = [target / name for name in CONTENT_FOLDERS if (target / name).exists()]
    if existing:
        raise FileExistsError(
            f"{existing[0]} already exists; pick an empty folder (nothing was copied)"
        )
    written = []
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in CONTENT_FOLDERS:
        shutil.copytree(source / name, target / name, ignore=ignore)
        written.append(target / name)
    return written


def intents_dir(root: Path | None = None) -> Path:
    return (root or project_root()) / "intents"


def content_dir(root: Path | None = None) -> Path:
    return (root or project_root()) / "content"
