"""Nothing personal in logs: what each library may write once bot.logs is configured.

The end-to-end row (a cut-off getUpdates body through the real process) is in
tests/test_hardening_e2e.py; these pin the rules record by record.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from telegram.error import BadRequest
from telegram.request import BaseRequest

from bot import logs
from bot.storage.errors import StorageError

TEXT = "I told Marguerite I relapsed"
NAME = "Ferdinand"
CHAT_ID = 734912586011
TOKEN = "123456789:AAFakeTokenForTestsOnly_abcdefghijkl"
BODY = json.dumps(
    {
        "ok": True,
        "result": [
            {
                "update_id": 5,
                "message": {
                    "text": TEXT,
                    "chat": {"id": CHAT_ID, "first_name": NAME, "type": "private"},
                },
            }
        ],
    }
)


@pytest.fixture
def output() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    logs.configure(level="DEBUG", token=TOKEN, stream=stream)
    try:
        yield stream
    finally:
        logs.uninstall()
        for name in logs.LIBRARIES:
            logging.getLogger(name).setLevel(logging.NOTSET)
        logging.getLogger("bot").setLevel(logging.NOTSET)
        logging.getLogger().setLevel(logging.WARNING)


def _assert_private(text: str) -> None:
    for secret in (TEXT, "Marguerite", NAME, str(CHAT_ID), TOKEN, TOKEN.split(":")[1]):
        assert secret not in text, f"{secret!r} leaked: {text}"


@pytest.mark.parametrize(
    "logger", ["telegram.request", "httpx", "tornado.access", "sqlalchemy.engine", "apscheduler"]
)
def test_library_records_keep_their_wording_and_lose_their_values(
    output: io.StringIO, logger: str
) -> None:
    log = logging.getLogger(logger)
    log.error('Can not load invalid JSON data: "%s"', BODY)
    log.warning("update %s from %s (%d)", TEXT, NAME, CHAT_ID)
    log.error("Processing update %(update)s", {"update": BODY})
    log.critical(f"preformatted: {BODY}")
    log.critical(f"quoted '{TEXT}' and \"{NAME}\" and chat {CHAT_ID}")
    log.error(f"https://api.telegram.org/bot{TOKEN}/getUpdates failed")
    text = output.getvalue()
    _assert_private(text)
    assert "Can not load invalid JSON data" in text
    assert "update … from … (…)" in text
    assert "preformatted: …" in text


def test_ptbs_own_invalid_json_log_carries_no_body(output: io.StringIO) -> None:
    with pytest.raises(Exception, match="Invalid server response"):
        BaseRequest.parse_json_payload(BODY[:-7].encode())
    text = output.getvalue()
    assert "Can not load invalid JSON data" in text
    assert "JSONDecodeError" in text  # the type and frames stay
    _assert_private(text)


def test_library_loggers_stay_at_warning_even_at_debug(output: io.StringIO) -> None:
    logging.getLogger("sqlalchemy.engine.Engine").info("SELECT * FROM users")
    logging.getLogger("alembic.runtime.migration").info("Running upgrade 0001 -> 0002")
    logging.getLogger("tornado.access").info("200 GET /healthz (127.0.0.1) 0.40ms")
    logging.getLogger("telegram.ext.Application").debug("Processing update %s", BODY)
    logging.getLogger("bot.telegram.app").debug("our own debug line")
    assert output.getvalue().strip().endswith("our own debug line")
    assert output.getvalue().count("\n") == 1


def test_exception_messages_from_elsewhere_are_hidden_ours_kept(output: io.StringIO) -> None:
    log = logging.getLogger("bot.telegram.handlers")
    for exc in (
        KeyError(TEXT),
        ValueError(f"bad value {NAME}"),
        BadRequest(f"Can't parse entities: '{TEXT}' at {CHAT_ID}"),
        StorageError("SQLite file /data/bot.db is read-only; check its permissions"),
    ):
        try:
            raise exc
        except Exception:
            log.exception("handling failed")
    text = output.getvalue()
    _assert_private(text)
    assert "KeyError: …" in text and "ValueError: …" in text
    assert "telegram.error.BadRequest: Can't parse entities: '…' at …" in text
    assert "is read-only; check its permissions" in text
    assert 'File "' in text  # frames kept


def test_chained_exceptions_keep_their_order(output: io.StringIO) -> None:
    try:
        try:
            raise KeyError(TEXT)
        except KeyError as inner:
            raise StorageError("outer problem") from inner
    except StorageError:
        logging.getLogger("bot.x").exception("failed")
    text = output.getvalue()
    assert text.index("KeyError") < text.index("direct cause") < text.index("outer problem")
    _assert_private(text)


def test_log_debug_lets_one_module_through_on_purpose() -> None:
    stream = io.StringIO()
    logs.configure(level="INFO", stream=stream, debug_module="telegram.ext.Application")
    try:
        logging.getLogger("telegram.ext.Application").debug("Processing update %s", TEXT)
        logging.getLogger("telegram.ext.Updater").error("other module %s", TEXT)
        logging.getLogger("bot.x").debug("our debug stays off at INFO")
    finally:
        logs.uninstall()
        logging.getLogger("telegram").setLevel(logging.NOTSET)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    assert TEXT in lines[0]  # the operator asked for this module's words
    assert "other module …" in lines[1]


def test_json_format_is_one_object_per_line(output: io.StringIO) -> None:
    stream = io.StringIO()
    logs.configure(level="INFO", fmt="json", token=TOKEN, stream=stream)
    log = logging.getLogger("bot.telegram.app")
    log.info("started: %s", "line one\nline two \u2028 and \u2029")
    try:
        raise StorageError(f"multi\nline with {TOKEN}")
    except StorageError:
        log.exception("failed")
    logging.getLogger("httpx").warning("HTTP %s", TOKEN)
    lines = stream.getvalue().split("\n")
    assert lines[-1] == ""
    entries = [json.loads(line) for line in lines[:-1]]
    assert len(entries) == 3
    assert entries[0]["message"] == "started: line one\nline two \u2028 and \u2029"
    assert "StorageError" in entries[1]["exception"]
    assert {"time", "level", "logger", "message"} <= set(entries[2])
    raw = stream.getvalue()
    assert "\u2028" not in raw and TOKEN not in raw and TOKEN.split(":")[1] not in raw


def test_scrub_rules() -> None:
    assert logs.scrub('sent {"text": "hi"}') == "sent …"
    assert logs.scrub("ids 123456 and 12345") == "ids … and 12345"
    assert logs.scrub("a 'quoted' word") == "a '…' word"
    assert len(logs.scrub("x" * 1000)) <= logs.MAX_LIBRARY_MESSAGE + 1
    assert logs.template_without_values("%s at %5.2f%% of %(n)d") == "… at …% of …"
