"""Run the build stage of the Dockerfile without a Docker engine (CI has none).

Reads the ``build`` stage of the Dockerfile and carries out its instructions here: ENV sets
variables (``--set NAME=VALUE`` moves a path, e.g. VENV and DIST, into a temporary folder),
WORKDIR and ``COPY . .`` become a copy of the files git tracks, and each RUN command runs
verbatim with ``sh -c`` in that copy, as Docker would. Any other instruction in the build stage
is an error, so the Dockerfile cannot drift into steps CI does not run.

    python .ci/dockerfile_build.py --workdir /tmp/ctx --set VENV=/tmp/venv --set DIST=/tmp/dist
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in dockerfile.read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1].rstrip() + " "
            continue
        line = pending + line
        pending = ""
        word, _, rest = line.partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


def build_stage(dockerfile: Path, name: str = "build") -> list[tuple[str, str]]:
    """The instructions of the stage ``FROM ... AS name``."""
    stage: list[tuple[str, str]] | None = None
    for word, rest in instructions(dockerfile):
        if word == "FROM":
            if stage is not None:
                break
            parts = rest.split()
            if len(parts) == 3 and parts[1].upper() == "AS" and parts[2] == name:
                stage = []
            continue
        if stage is not None:
            stage.append((word, rest))
    if stage is None:
        raise SystemExit(f"{dockerfile}: no stage 'FROM ... AS {name}'")
    return stage


def env_pairs(rest: str) -> dict[str, str]:
    pairs = {}
    for token in shlex.split(rest):
        key, sep, value = token.partition("=")
        if not sep:
            raise SystemExit(f"ENV {rest!r}: use the NAME=VALUE form")
        pairs[key] = value
    return pairs


def copy_context(target: Path) -> None:
    """The build context: the files git tracks (what a clean checkout holds), less .env."""
    files = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.split(b"\0")
    for raw in files:
        if not raw:
            continue
        rel = Path(raw.decode())
        if rel.name == ".env" or not (ROOT / rel).is_file():
            continue
        dest = target / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes((ROOT / rel).read_bytes())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dockerfile", type=Path, default=ROOT / "Dockerfile")
    parser.add_argument("--workdir", type=Path, required=True, help="stands for WORKDIR")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args()
    overrides = dict(item.split("=", 1) for item in args.set)
    env = dict(os.environ)
    for word, rest in build_stage(args.dockerfile):
        if word == "ENV":
            for key, value in env_pairs(rest).items():
                env[key] = overrides.get(key, value)
        elif word == "WORKDIR":
            args.workdir.mkdir(parents=True, exist_ok=True)
        elif word == "COPY":
            if rest.split() != [".", "."]:
                raise SystemExit(f"COPY {rest}: only 'COPY . .' is emulated in the build stage")
            copy_context(args.workdir)
        elif word == "RUN":
            print(f"+ RUN {rest}", flush=True)
            subprocess.run(["sh", "-c", rest], cwd=args.workdir, env=env, check=True)
        else:
            raise SystemExit(
                f"{word} {rest}: not emulated; keep the build stage to ENV, "
                "WORKDIR, COPY . . and RUN"
            )
    missing = sorted(set(overrides) - set(env))
    if missing:
        raise SystemExit(f"--set {', '.join(missing)}: the build stage sets no such variable")
    return 0


if __name__ == "__main__":
    sys.exit(main())
