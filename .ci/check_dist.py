"""The built distributions carry the bot, its model files, and every catalog and content file.

    python .ci/check_dist.py WHEEL [WHEEL_FROM_SDIST SDIST]

A wheel must hold each file git tracks under intents/ and content/ as bot/_content/..., and the
model files; an sdist must hold them at the top level; two wheels (one built from the tree, one
from the sdist) must hold the same files.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODEL_FILES = {
    "bot/understanding/intents.npz",
    "bot/understanding/model/model.safetensors",
    "bot/understanding/model/tokenizer.json",
    "bot/understanding/model/config.json",
    "bot/crisis/classifier.npz",
    "bot/storage/migrations/env.py",
}


def tracked(*folders: str) -> set[str]:
    out = subprocess.run(
        ["git", "ls-files", *folders], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    return {line for line in out.splitlines() if line and (ROOT / line).is_file()}


def check_wheel(path: Path, content: set[str]) -> set[str]:
    names = set(zipfile.ZipFile(path).namelist())
    missing = {f"bot/_content/{name}" for name in content} - names
    missing |= MODEL_FILES - names
    if missing:
        raise SystemExit(f"{path.name} lacks {len(missing)} file(s), e.g. {sorted(missing)[:5]}")
    if any(name.startswith(("intents/", "content/", "tests/")) for name in names):
        raise SystemExit(f"{path.name} has top-level data folders: they belong in bot/_content/")
    print(f"{path.name}: {len(content)} catalog/content files and the model files")
    return {name for name in names if ".dist-info/" not in name}


def check_sdist(path: Path, content: set[str]) -> None:
    with tarfile.open(path) as tar:
        names = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
    missing = (content | {"setup.py", "MANIFEST.in", "requirements.txt"}) - names
    if missing:
        raise SystemExit(f"{path.name} lacks {len(missing)} file(s), e.g. {sorted(missing)[:5]}")
    print(f"{path.name}: intents/ and content/ at the top level")


def main(args: list[str]) -> int:
    content = tracked("intents", "content")
    if not content:
        raise SystemExit("no tracked files under intents/ and content/")
    wheel_files = check_wheel(Path(args[0]), content)
    if len(args) == 3:
        from_sdist = check_wheel(Path(args[1]), content)
        if from_sdist != wheel_files:
            diff = sorted(from_sdist ^ wheel_files)[:5]
            raise SystemExit(f"the wheel built from the sdist differs from the other: {diff}")
        check_sdist(Path(args[2]), content)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
