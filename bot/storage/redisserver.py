"""A throwaway Redis server in a temporary folder, for tests and benchmarks.

Debian's ``redis-server`` on a free localhost port, with nothing saved to disk; the folder is
removed on stop. ``start(port)`` again brings a stopped server back on the same port (a Redis
that went away and came back).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RedisServerError(RuntimeError):
    """The throwaway server could not start; the message says why."""


def find_redis_server() -> str:
    """REDIS_SERVER's path, else ``redis-server`` on PATH, else Debian's /usr/bin one."""
    for candidate in (os.environ.get("REDIS_SERVER"), shutil.which("redis-server")):
        if candidate and Path(candidate).exists():
            return candidate
    if Path("/usr/bin/redis-server").exists():
        return "/usr/bin/redis-server"
    raise RedisServerError(
        "redis-server not found; install Debian's 'redis-server' package or set REDIS_SERVER"
    )


def _answers(port: int, password: str | None) -> bool:
    """True when the server on ``port`` answers PING (speaking RESP by hand: no client)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            if password:
                sock.sendall(f"AUTH {password}\r\n".encode())
                sock.recv(64)
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    """``with RedisServer() as redis: url = redis.url()``."""

    def __init__(self, password: str | None = None) -> None:
        self.binary = find_redis_server()
        self.password = password
        self.port = 0
        self.folder: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self, port: int | None = None, timeout: float = 30.0) -> RedisServer:
        """Start on ``port`` (a free one when None) and wait until it answers."""
        self.folder = Path(tempfile.mkdtemp(prefix="recovery-bot-redis-"))
        self.port = port or free_port()
        args = [
            self.binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(self.folder),
            "--save",
            "",
            "--appendonly",
            "no",
            "--logfile",
            str(self.folder / "log"),
        ]
        if self.password:
            args += ["--requirepass", self.password]
        try:
            self._proc = subprocess.Popen(
                args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
            )
        except OSError as exc:
            self._remove()
            raise RedisServerError(f"redis-server failed: {exc}") from None
        deadline = time.monotonic() + timeout
        while not _answers(self.port, self.password):
            if self._proc.poll() is not None or time.monotonic() > deadline:
                log = self.folder / "log"
                tail = log.read_text(errors="replace")[-800:] if log.exists() else ""
                self.stop()
                raise RedisServerError(f"redis-server did not start: {tail}".strip())
            time.sleep(0.05)
        atexit.register(self.stop)
        return self

    def stop(self) -> None:
        """Stop at once (nothing to save) and remove the folder."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)
        if proc is not None and proc.stderr is not None:
            proc.stderr.close()
        self._remove()

    def _remove(self) -> None:
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def url(self, db: int = 0) -> str:
        """A ``redis://`` URL (as a platform would give it), with the password if any."""
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/{db}"
