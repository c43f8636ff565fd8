"""What a lint rule reports: one problem, where it is, and how to fix it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

Severity = Literal["error", "warning"]
ERROR: Severity = "error"
WARNING: Severity = "warning"


@dataclass(frozen=True)
class Finding:
    """One problem in one file. Errors fail ``recovery-bot lint``; warnings are listed only."""

    severity: Severity
    path: Path
    line: int | None
    rule: str
    message: str
    fix: str

    def relpath(self, root: Path | None = None) -> str:
        """The file, relative to ``root`` when it lies inside it."""
        if root is not None:
            try:
                return str(self.path.resolve().relative_to(root.resolve()))
            except ValueError:
                pass
        return str(self.path)

    def where(self, root: Path | None = None) -> str:
        """``file:line`` (what an editor can jump to)."""
        path = self.relpath(root)
        return f"{path}:{self.line}" if self.line else path

    def to_json(self, root: Path | None = None) -> dict[str, Any]:
        data = asdict(self)
        data["path"] = self.relpath(root)
        return data


def error(path: Path, line: int | None, rule: str, message: str, fix: str) -> Finding:
    return Finding(ERROR, path, line, rule, message, fix)


def warning(path: Path, line: int | None, rule: str, message: str, fix: str) -> Finding:
    return Finding(WARNING, path, line, rule, message, fix)
