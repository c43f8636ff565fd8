"""Build hook: the wheel carries the catalog (``intents/``) and the texts (``content/``).

The repository keeps both folders at the top level, where editors find them. A wheel has no
place for top-level data, so the build copies them into the package as ``bot/_content/``, which
``bot.paths`` reads when no ``RECOVERY_BOT_HOME`` is set. The sdist carries them at the top
level (MANIFEST.in), so a wheel built from the sdist gets them too. Everything else is in
pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
FOLDERS = ("intents", "content")
TARGET = ("bot", "_content")


class BuildPyWithContent(build_py):
    """``build_py`` that also copies intents/ and content/ into ``bot/_content/``."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return  # an editable install reads the folders in the checkout
        target = Path(self.build_lib, *TARGET)
        shutil.rmtree(target, ignore_errors=True)  # no stale files from an earlier build
        for name in FOLDERS:
            source = ROOT / name
            if not (source / "").is_dir():
                raise SystemExit(f"setup.py: {source} is missing; cannot build without it")
            shutil.copytree(
                source, target / name, ignore=shutil.ignore_patterns("__pycache__", "*.py[cod]")
            )


setup(cmdclass={"build_py": BuildPyWithContent})
