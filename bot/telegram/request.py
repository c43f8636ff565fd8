"""The HTTP client for the Bot API: PTB's ``HTTPXRequest`` that never logs or echoes a body.

python-telegram-bot logs a response it cannot parse in full, at ERROR (``Can not load invalid
JSON data: "<the body>"``), and puts a non-JSON error body into the exception message. A
getUpdates body holds what people wrote and their names, so :class:`SafeRequest` replaces both:

* a 2xx answer that is not valid JSON (cut off by a proxy, a dropped connection...) raises
  :class:`CutOffAnswer`, a ``NetworkError``: the request may or may not have been carried out,
  so the sender retries it (see :mod:`bot.telegram.limiter`); getUpdates is simply polled again
  (the updates were not confirmed, so Telegram sends them again);
* an error answer that is not JSON (an HTML page from a proxy) becomes a short JSON error with
  the status and the body's size, so PTB raises its usual exception for the status.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram._utils.types import JSONDict, ODVInput
from telegram.error import NetworkError
from telegram.request import HTTPXRequest, RequestData

SEND_READ_TIMEOUT = 30.0
"""Seconds to wait for Telegram's answer to a send before the outcome counts as unknown.

Long on purpose: a send that Telegram carried out but answered slowly (20 s under load has
been seen) must not be resent; a timeout is retried, accepting a possible duplicate."""

POLL_READ_TIMEOUT = 40.0
"""getUpdates: the long-poll timeout (PTB's 10 s) plus a margin."""


class CutOffAnswer(NetworkError):
    """Telegram's answer could not be read (not valid JSON): the outcome of the call is unknown."""


def _is_json_object(payload: bytes) -> bool:
    try:
        return isinstance(json.loads(payload), dict)
    except ValueError:
        return False


class SafeRequest(HTTPXRequest):
    """``HTTPXRequest`` whose errors never carry a request or response body."""

    @staticmethod
    def parse_json_payload(payload: bytes) -> JSONDict:
        try:
            data = json.loads(payload)
        except ValueError:
            raise CutOffAnswer(
                f"Telegram's answer was not valid JSON ({len(payload)} bytes; cut off?)"
            ) from None
        if not isinstance(data, dict):
            raise CutOffAnswer("Telegram's answer was not a JSON object")
        return data

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = DEFAULT_NONE,
        write_timeout: ODVInput[float] = DEFAULT_NONE,
        connect_timeout: ODVInput[float] = DEFAULT_NONE,
        pool_timeout: ODVInput[float] = DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        code, payload = await super().do_request(
            url,
            method,
            request_data,
            read_timeout=read_timeout,
            write_timeout=write_timeout,
            connect_timeout=connect_timeout,
            pool_timeout=pool_timeout,
        )
        if not 200 <= code <= 299 and not _is_json_object(payload):
            try:
                phrase = HTTPStatus(code).phrase
            except ValueError:
                phrase = "HTTP error"
            body: dict[str, Any] = {
                "ok": False,
                "error_code": code,
                "description": f"{phrase} ({code}; non-JSON answer of {len(payload)} bytes)",
            }
            payload = json.dumps(body).encode()
        return code, payload


def send_request(read_timeout: float = SEND_READ_TIMEOUT, pool_size: int = 64) -> SafeRequest:
    """The client for every call but getUpdates (TELEGRAM_SEND_TIMEOUT sets ``read_timeout``)."""
    return SafeRequest(
        connection_pool_size=pool_size,
        read_timeout=read_timeout,
        connect_timeout=10.0,
        pool_timeout=5.0,
    )


def poll_request() -> SafeRequest:
    """The client for getUpdates (one long poll at a time)."""
    return SafeRequest(read_timeout=POLL_READ_TIMEOUT, connect_timeout=10.0)
