"""YAML loading that remembers line numbers, so every content error names its file and line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

# libyaml's parser when PyYAML was built with it: the catalog loads several times faster.
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ContentError(ValueError):
    """A content or catalog file is broken. ``str()`` reads ``path:line: what is wrong``."""

    def __init__(self, path: Path | str, line: int | None, message: str) -> None:
        self.path = Path(path)
        self.line = line
        self.message = message
        where = f"{self.path}:{line}" if line else str(self.path)
        super().__init__(f"{where}: {message}")


class LineDict(dict[str, Any]):
    """A YAML mapping that knows the line it started on (1-based)."""

    line: int = 0


class LineList(list[Any]):
    """A YAML sequence that knows the line it started on (1-based)."""

    line: int = 0


class LineStr(str):
    """A YAML string that knows its line (1-based)."""

    line: int = 0


def _convert(
    node: yaml.Node, constructor: yaml.constructor.SafeConstructor, path: Path, offset: int = 0
) -> Any:
    line = node.start_mark.line + 1 + offset
    if isinstance(node, yaml.MappingNode):
        mapping = LineDict()
        mapping.line = line
        for key_node, value_node in node.value:
            # Keys are always text: YAML 1.1 would read `on:` (of `review: on:`) as True.
            if not isinstance(key_node, yaml.ScalarNode):
                raise ContentError(path, line_of_node(key_node, offset), "a key must be text")
            key = str(key_node.value)
            if key in mapping:
                raise ContentError(path, line_of_node(key_node, offset), f"duplicate key {key!r}")
            mapping[str(key)] = _convert(value_node, constructor, path, offset)
        return mapping
    if isinstance(node, yaml.SequenceNode):
        seq = LineList(_convert(item, constructor, path, offset) for item in node.value)
        seq.line = line
        return seq
    value = constructor.construct_object(node, deep=True)
    if isinstance(value, str):
        text = LineStr(value)
        text.line = line
        return text
    return value


def parse_yaml(text: str, path: Path | str, *, first_line: int = 1) -> Any:
    """Parse ``text`` (from ``path``; its first line is ``first_line``) keeping line numbers."""
    path = Path(path)
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            return _convert(node, loader, path, first_line - 1)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + first_line if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise ContentError(path, line, f"YAML syntax error: {problem}") from None
    except yaml.YAMLError as exc:
        raise ContentError(path, None, f"YAML error: {exc}") from None


def line_of_node(node: yaml.Node, offset: int = 0) -> int:
    """The 1-based line a YAML node starts on, in the file it came from."""
    return int(node.start_mark.line) + 1 + offset


def load_yaml(path: Path | str) -> Any:
    """Read and parse one YAML file, with errors that name the file and line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ContentError(path, None, "file not found") from None
    except OSError as exc:
        raise ContentError(path, None, f"cannot read the file ({exc.strerror})") from None
    except UnicodeDecodeError as exc:
        raise ContentError(path, None, f"not UTF-8 text ({exc.reason})") from None
    return parse_yaml(text, path)


def line_of(value: Any, default: int | None = None) -> int | None:
    """The line a loaded value came from, if known."""
    line = getattr(value, "line", 0)
    return line or default
