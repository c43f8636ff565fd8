"""A throwaway PostgreSQL server in a temporary folder, for tests and benchmarks.

initdb refuses to run as root, so as root the server runs as the ``postgres`` system user
(Debian's package creates it). Data, socket and log live in one temp folder removed on stop.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

from sqlalchemy.engine import URL


class PgServerError(RuntimeError):
    """The throwaway server could not start; the message says why."""


def find_bindir() -> Path:
    """PG_BINDIR, else ``pg_config --bindir``, else the newest /usr/lib/postgresql/*/bin."""
    candidates: list[str] = []
    if os.environ.get("PG_BINDIR"):
        candidates.append(os.environ["PG_BINDIR"])
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, check=True, timeout=10
            )
            candidates.append(out.stdout.strip())
        except (OSError, subprocess.SubprocessError):
            pass

    def version(path: str) -> int:
        try:
            return int(Path(path).parent.name)
        except ValueError:
            return 0

    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True)
    for c in candidates:
        if (Path(c) / "initdb").exists() and (Path(c) / "pg_ctl").exists():
            return Path(c)
    raise PgServerError(
        "PostgreSQL server binaries (initdb, pg_ctl) not found; install Debian's "
        "'postgresql' package or set PG_BINDIR"
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgServer:
    """``with PgServer() as pg: url = pg.create_database()``."""

    def __init__(self, run_as: str = "postgres") -> None:
        self.bindir = find_bindir()
        self.port = 0
        self.folder: Path | None = None
        self._run_as = run_as if os.geteuid() == 0 else None
        self._running = False

    def _cmd(self, *args: str) -> list[str]:
        return ["runuser", "-u", self._run_as, "--", *args] if self._run_as else list(args)

    def _run(self, *args: str, timeout: float = 60) -> None:
        try:
            subprocess.run(
                self._cmd(*args), capture_output=True, text=True, check=True, timeout=timeout
            )
        except subprocess.CalledProcessError as exc:
            raise PgServerError(
                f"{Path(args[0]).name} failed: {(exc.stderr or exc.stdout).strip()[-800:]}"
            ) from None
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PgServerError(f"{Path(args[0]).name} failed: {exc}") from None

    def start(self) -> PgServer:
        if self._run_as:
            try:
                pw = pwd.getpwnam(self._run_as)
            except KeyError:
                raise PgServerError(
                    f"running as root and there is no {self._run_as!r} user to run PostgreSQL"
                ) from None
        self.folder = Path(tempfile.mkdtemp(prefix="recovery-bot-pg-"))
        if self._run_as:
            os.chown(self.folder, pw.pw_uid, pw.pw_gid)
        data, sock, logfile = self.folder / "data", self.folder / "sock", self.folder / "log"
        try:
            self._run(
                str(self.bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
                "--locale=C",
            )
            self._run("mkdir", str(sock))
            self.port = _free_port()
            # fsync off and a small footprint: the data is thrown away anyway.
            opts = (
                f"-p {self.port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=100"
            )
            self._run(
                str(self.bindir / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(logfile),
                "-o",
                opts,
                "-w",
                "-t",
                "60",
                "start",
            )
        except PgServerError as exc:
            log_tail = ""
            if logfile.exists():
                log_tail = logfile.read_text(errors="replace")[-800:]
            self._remove()
            raise PgServerError(f"{exc}\n{log_tail}".strip()) from None
        self._running = True
        atexit.register(self.stop)
        return self

    def stop(self) -> None:
        if self._running and self.folder is not None:
            self._running = False
            with contextlib.suppress(PgServerError):
                self._run(
                    str(self.bindir / "pg_ctl"),
                    "-D",
                    str(self.folder / "data"),
                    "-m",
                    "immediate",
                    "-w",
                    "stop",
                    timeout=30,
                )
        self._remove()

    def _remove(self) -> None:
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    def __enter__(self) -> PgServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def url(self, database: str = "postgres") -> str:
        """A ``postgresql://`` URL (as a platform would give it) for ``database``."""
        return URL.create(
            "postgresql", username="postgres", host="127.0.0.1", port=self.port, database=database
        ).render_as_string(hide_password=False)

    def create_database(self, name: str | None = None) -> str:
        """Create an empty database and return its URL."""
        name = name or f"t_{uuid.uuid4().hex[:12]}"
        asyncio.run(self._execute(f'CREATE DATABASE "{name}"'))
        return self.url(name)

    async def _execute(self, sql: str) -> None:
        import asyncpg

        conn = await asyncpg.connect(
            host="127.0.0.1", port=self.port, user="postgres", database="postgres"
        )
        try:
            await conn.execute(sql)
        finally:
            await conn.close()
