"""Logging for every command: quiet by default, nothing personal at any level, text or JSON.

Three rules, applied before any handler sees a record (a log-record factory, so they hold for
every handler, ours or a library's):

1. **Our own code** (loggers under ``bot``) is written never to log what people write, their
   names, chat ids or the token; its records pass as they are.
2. **Any other logger** (python-telegram-bot, httpx, httpcore, tornado, SQLAlchemy, aiosqlite,
   asyncpg, alembic, APScheduler, asyncio...) keeps its wording and loses its values: every
   interpolated argument becomes ``…``; a message built without arguments loses quoted strings,
   anything from the first ``{`` or ``[`` on (request and response bodies are JSON) and runs of
   six or more digits (chat and user ids); it is cut at 300 characters.
3. **Exceptions** keep their type and stack frames. Their messages are kept for our own
   exception classes, scrubbed like rule 2 for Telegram, SQLAlchemy, httpx, tornado and OS
   errors, and hidden for every other type (a ``KeyError`` may hold anything).

The one exception: ``LOG_DEBUG=<logger>`` (one logger name, e.g. ``telegram.ext.Application``)
turns on DEBUG for that logger and its children and lets their records through unscrubbed.
That output can hold what people wrote; it is for an operator chasing one problem, on purpose.

Levels: ``LOG_LEVEL`` (default INFO for ``run``; WARNING for the terminal commands unless set)
applies to our loggers; libraries never go below WARNING, so there are no SQL statements,
no alembic chatter, no health-check access lines and no per-message lines from libraries.
``LOG_FORMAT=json`` writes one JSON object per line (time, level, logger, message, exception).
The token is replaced by ``<token>`` in every line, whatever wrote it.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import traceback
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import Any, TextIO

OUR_LOGGER = "bot"
"""Records from this logger and its children are trusted (reviewed code)."""

LIBRARY_LEVEL = logging.WARNING
"""Libraries never log below this, whatever LOG_LEVEL says (except the LOG_DEBUG logger)."""

LIBRARIES = (
    "telegram",
    "httpx",
    "httpcore",
    "hpack",
    "tornado",
    "sqlalchemy",
    "aiosqlite",
    "asyncpg",
    "alembic",
    "apscheduler",
    "asyncio",
    "aiohttp",
    "urllib3",
)
"""Loggers set to LIBRARY_LEVEL explicitly (the root level covers any other library)."""

MAX_LIBRARY_MESSAGE = 300
HIDDEN = "…"

# printf-style conversions (%s, %r, %d, %5.2f, %(name)s); "%%" is kept.
_CONVERSION = re.compile(
    r"%%|%(?:\([^)]*\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?[diouxXeEfFgGcrsa]"
)
# A quote that opens (not an apostrophe inside a word) hides everything up to the last
# matching quote on its line, or to the end of the line when it is never closed.
_QUOTED = re.compile(r"""(?<![A-Za-z0-9])(["'`])(?:[^\n]*\1|[^\n]*)""")
_LONG_NUMBER = re.compile(r"-?\d{6,}")
_STRUCTURE = re.compile(r"[{\[]")

# Exceptions whose messages are ours (kept) or worth keeping once scrubbed.
_OWN_EXCEPTIONS = (OUR_LOGGER + ".",)
_SCRUBBED_EXCEPTIONS = ("telegram.", "sqlalchemy.", "httpx.", "httpcore.", "tornado.")

_state: dict[str, Any] = {}


def scrub(text: str) -> str:
    """A library's message without values: quotes, bodies, long numbers removed; capped."""
    match = _STRUCTURE.search(text)
    if match is not None:
        text = text[: match.start()] + HIDDEN
    text = _QUOTED.sub(lambda m: f"{m.group(1)}{HIDDEN}{m.group(1)}", text)
    text = _LONG_NUMBER.sub(HIDDEN, text)
    if len(text) > MAX_LIBRARY_MESSAGE:
        text = text[:MAX_LIBRARY_MESSAGE] + HIDDEN
    return text


def template_without_values(template: str) -> str:
    """``'sent %s to %d'`` -> ``'sent … to …'`` (the wording of a message, none of its values)."""
    return _CONVERSION.sub(lambda m: "%" if m.group() == "%%" else HIDDEN, template)


def _exception_message(exc: BaseException) -> str:
    cls = type(exc)
    module = cls.__module__ or ""
    text = str(exc)
    if module == OUR_LOGGER or module.startswith(_OWN_EXCEPTIONS):
        return text
    if module.startswith(_SCRUBBED_EXCEPTIONS) or isinstance(exc, OSError):
        return scrub(text)
    return HIDDEN if text else ""


def _exception_name(exc: BaseException) -> str:
    cls = type(exc)
    module = cls.__module__
    return cls.__qualname__ if module in ("builtins", None) else f"{module}.{cls.__qualname__}"


_CAUSE = "\nThe above exception was the direct cause of the following exception:\n\n"
_CONTEXT = "\nDuring handling of the above exception, another exception occurred:\n\n"


def format_exception(exc: BaseException) -> str:
    """A traceback (frames, types) with messages kept, scrubbed or hidden as the rules say."""
    chain: list[tuple[BaseException, str]] = []  # effect first; link = how it caused the one before
    seen: set[int] = set()
    current: BaseException | None = exc
    link = ""
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append((current, link))
        if current.__cause__ is not None:
            current, link = current.__cause__, _CAUSE
        elif current.__context__ is not None and not current.__suppress_context__:
            current, link = current.__context__, _CONTEXT
        else:
            current = None
    parts: list[str] = []
    for item, link_to_effect in reversed(chain):  # oldest cause first, as Python prints it
        frames = traceback.extract_tb(item.__traceback__)
        if frames:
            parts.append("Traceback (most recent call last):\n")
            parts.extend(traceback.format_list(frames))
        message = _exception_message(item)
        name = _exception_name(item)
        parts.append(f"{name}: {message}\n" if message else f"{name}\n")
        parts.append(link_to_effect)
    return "".join(parts).rstrip()


def _is_own(name: str) -> bool:
    return name == OUR_LOGGER or name.startswith(OUR_LOGGER + ".")


def _is_debug_module(name: str, module: str | None) -> bool:
    return bool(module) and (name == module or name.startswith(f"{module}."))


def sanitize(record: logging.LogRecord, debug_module: str | None = None) -> logging.LogRecord:
    """Apply the three rules to ``record`` in place (see the module docstring)."""
    if getattr(record, "_sanitized", False) or _is_debug_module(record.name, debug_module):
        return record
    if not _is_own(record.name):
        if record.args:
            template = record.msg if isinstance(record.msg, str) else type(record.msg).__name__
            record.msg = scrub(template_without_values(template))
        else:
            msg = record.msg if isinstance(record.msg, str) else type(record.msg).__name__
            record.msg = scrub(msg)
        record.args = None
    if record.exc_info and record.exc_info[1] is not None:
        record.exc_text = format_exception(record.exc_info[1])
    elif record.exc_info:
        record.exc_info = None
    record._sanitized = True
    return record


def escape_line_separators(text: str) -> str:
    """JSON text that stays on one line for every reader: U+2028, U+2029, U+0085 escaped.

    ``json.dumps(..., ensure_ascii=False)`` leaves them raw, and JavaScript, Python's
    ``str.splitlines`` and many log shippers break lines there.
    """
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").replace("\x85", "\\u0085")


class TextFormatter(logging.Formatter):
    """``time LEVEL logger: message`` with the token redacted from the whole line."""

    def __init__(self, token: str | None = None) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.token = token

    def format(self, record: logging.LogRecord) -> str:
        return _redact(super().format(record), self.token)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, exception."""

    def __init__(self, token: str | None = None) -> None:
        super().__init__()
        self.token = token

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        line = json.dumps(entry, ensure_ascii=False, default=str)
        return escape_line_separators(_redact(line, self.token))


def _redact(text: str, token: str | None) -> str:
    if not token:
        return text
    text = text.replace(token, "<token>")
    secret = token.partition(":")[2]
    if len(secret) >= 20:
        text = text.replace(secret, "<token>")
    return text


def _level(name: str | None, default: int) -> int:
    if not name:
        return default
    value = logging.getLevelName(name.strip().upper())
    return value if isinstance(value, int) else default


def configure(
    *,
    level: str | None = None,
    default_level: int = logging.INFO,
    fmt: str | None = None,
    token: str | None = None,
    debug_module: str | None = None,
    stream: TextIO | None = None,
    libraries: Iterable[str] = LIBRARIES,
) -> logging.Handler:
    """Set up the root logger for this process (idempotent; the last call wins)."""
    root = logging.getLogger()
    old = _state.get("handler")
    if old is not None:
        root.removeHandler(old)
    handler = logging.StreamHandler(stream or sys.stderr)
    json_format = (fmt or "").strip().lower() == "json"
    handler.setFormatter(JsonFormatter(token) if json_format else TextFormatter(token))
    root.addHandler(handler)
    ours = _level(level, default_level)
    root.setLevel(max(ours, LIBRARY_LEVEL))
    logging.getLogger(OUR_LOGGER).setLevel(ours)
    for name in libraries:
        logging.getLogger(name).setLevel(max(ours, LIBRARY_LEVEL))
    module = (debug_module or "").strip() or None
    previous_module = _state.get("debug_module")
    if previous_module and previous_module != module:
        logging.getLogger(previous_module).setLevel(logging.NOTSET)
    if module:
        logging.getLogger(module).setLevel(logging.DEBUG)
    _state.update(handler=handler, debug_module=module)
    install_record_factory(module)
    return handler


def install_record_factory(debug_module: str | None = None) -> None:
    """Make every new LogRecord pass :func:`sanitize` (wraps the factory once)."""
    _state["debug_module"] = debug_module
    if _state.get("factory_installed"):
        return
    base: Callable[..., logging.LogRecord] = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return sanitize(base(*args, **kwargs), _state.get("debug_module"))

    logging.setLogRecordFactory(factory)
    _state["factory_installed"] = True
    _state["base_factory"] = base


def uninstall() -> None:
    """Undo :func:`configure` (for tests)."""
    root = logging.getLogger()
    handler = _state.pop("handler", None)
    if handler is not None:
        root.removeHandler(handler)
    base = _state.pop("base_factory", None)
    if base is not None:
        logging.setLogRecordFactory(base)
    _state.pop("factory_installed", None)
    module = _state.pop("debug_module", None)
    if module:
        logging.getLogger(module).setLevel(logging.NOTSET)
