"""The ``recovery-bot`` command (SPEC "Contracts"): thin shells over the modules."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import json
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from bot.config import ConfigError, Settings
from bot.yamlfile import ContentError


def _parser() -> argparse.ArgumentParser:
    from bot import __version__

    parser = argparse.ArgumentParser(
        prog="recovery-bot",
        description="A recovery-support chatbot for people affected by opioid addiction.",
    )
    parser.add_argument("--version", action="version", version=f"recovery-bot {__version__}")
    parser.add_argument(
        "--content",
        type=Path,
        metavar="PATH",
        help="a folder holding your own intents/ and content/ (same as RECOVERY_BOT_HOME; "
        "default: the copy installed with the bot)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("run", help="run the Telegram bot (needs TELEGRAM_BOT_TOKEN)")
    sub.add_parser("chat", help="talk to the bot in this terminal (no Telegram needed)")
    ask = sub.add_parser("ask", help="print the bot's decision for one message")
    ask.add_argument("--json", action="store_true", help="print the decision as JSON")
    ask.add_argument(
        "--country",
        metavar="CC",
        help="the person's country (ISO code such as US, GB, ES; ZZ for somewhere else): "
        "shows the reply a person there would get",
    )
    ask.add_argument("text", nargs="+", help="the message, or - to read one message per line")
    ev = sub.add_parser("eval", help="score the bot on an evaluation file")
    ev.add_argument("file", type=Path, help="a YAML list of {text, expect}")
    ev.add_argument("--format", choices=("text", "json"), default="text")
    ev.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    ev.add_argument(
        "--targets",
        choices=("chat", "real"),
        default="chat",
        help="SPEC's targets for chat-style messages (default) or for real questions",
    )
    ev.add_argument(
        "--typos",
        action="store_true",
        help="also answer each message's typo'd twin (lower case, texting spellings, slips) "
        "and report how often the reply stays the same",
    )
    lint = sub.add_parser("lint", help="check the catalog and content against the content rules")
    lint.add_argument("--format", choices=("text", "json"), default="text")
    lint.add_argument(
        "-v", "--verbose", action="store_true", help="also list each text a summary stands for"
    )
    sub.add_parser("stats", help="operator counts from the database (no personal data)")
    doctor = sub.add_parser(
        "doctor",
        help="check a deploy: token, database, content, webhook, secret, clock (sends nothing)",
    )
    doctor.add_argument(
        "--no-lint",
        action="store_true",
        help="skip the content rules (about 20 s); the content must still load",
    )
    sub.add_parser(
        "migrate", help="create or upgrade the database tables (the bot also does at start)"
    )
    health = sub.add_parser(
        "healthcheck", help="exit 0 when the running bot answers GET /healthz on this machine"
    )
    health.add_argument("--port", type=int, help="default: $PORT, else 8080")
    copy = sub.add_parser(
        "copy-content", help="copy the catalog and texts in use to DIR, to edit your own"
    )
    copy.add_argument("dir", type=Path, metavar="DIR")
    review = sub.add_parser(
        "review",
        help="write the clinical review packet, or record a clinician's sign-off (--sign)",
        description="Without --sign: write one printable packet for a clinician (every answer "
        "with its sources, review record and changes since the last sign-off; the help lines; "
        "a sign-off form). With --sign: record that a reviewer signed the current texts "
        "(docs/RELEASE.md).",
    )
    review.add_argument("--out", type=Path, metavar="FILE", help="write the packet to FILE")
    review.add_argument(
        "--format", choices=("md", "html"), help="md (default) or html (also from FILE's suffix)"
    )
    review.add_argument("--sign", action="store_true", help="record a sign-off")
    review.add_argument("--reviewer", help="with --sign: the reviewer's name")
    review.add_argument("--role", help='with --sign: e.g. "addiction-medicine physician"')
    review.add_argument(
        "--answers", metavar="IDS", help="with --sign: comma-separated answer ids (or help_lines)"
    )
    review.add_argument(
        "--all", action="store_true", help="with --sign: every answer and help_lines"
    )
    review.add_argument("--notes", default="", help="with --sign: the reviewer's notes")
    review.add_argument(
        "--on",
        type=_date,
        metavar="YYYY-MM-DD",
        help="with --sign: the date signed (default today)",
    )
    return parser


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-12-02") from None


def _review(args: argparse.Namespace) -> int:
    from bot.review_packet import run_review, run_sign

    if args.sign:
        if not args.reviewer or not args.role or not (args.answers or args.all):
            print(
                "recovery-bot review --sign needs --reviewer, --role and --answers IDS or --all",
                file=sys.stderr,
            )
            return 2
        from bot.paths import PACKAGED_ROOT, project_root

        if project_root() == PACKAGED_ROOT:
            # Sign-offs are records in content/: they belong in a copy someone keeps, not in
            # an installed package that the next upgrade replaces.
            print(
                "recovery-bot review --sign records the sign-off in content/, which here is the "
                "copy installed with the bot (an upgrade would lose it). Sign in a checkout, or "
                "in your own copy: recovery-bot copy-content DIR, then "
                "recovery-bot --content DIR review --sign ...",
                file=sys.stderr,
            )
            return 2
        return run_sign(args.reviewer, args.role, args.answers, args.all, args.notes, args.on)
    fmt = args.format
    if fmt is None:
        fmt = (
            "html"
            if args.out is not None and args.out.suffix.lower() in (".html", ".htm")
            else "md"
        )
    return run_review(args.out, fmt)


def _ask(
    engine_text: Sequence[str],
    as_json: bool,
    out: TextIO,
    stdin: TextIO,
    country: str | None = None,
    err: TextIO | None = None,
) -> int:
    from bot.crisis.resources import ELSEWHERE_CODES
    from bot.decision import Context
    from bot.understanding.engine import default_engine

    engine = default_engine()
    context = Context()
    if country is not None:
        code = engine.resources.resolve(country)
        if code is None and country.strip().upper() in ELSEWHERE_CODES:
            code = "ZZ"
        if code is None:
            known = ", ".join(c for c, _ in engine.resources.countries())
            print(
                f"recovery-bot ask: unknown country {country!r}. Use one of {known}, "
                "or ZZ for somewhere else (worldwide lines).",
                file=err or sys.stderr,
            )
            return 2
        context = Context(country=code)
    if list(engine_text) == ["-"]:
        for text in input_lines(stdin):
            _answer(engine, text, context, as_json, out, end="\n\n")
            out.flush()
        return 0
    _answer(engine, clean_text(" ".join(engine_text)), context, as_json, out)
    return 0


def clean_text(text: str) -> str:
    """Text from argv with undecodable bytes (kept by Python as lone surrogates) as U+FFFD."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def input_lines(stdin: TextIO | BinaryIO) -> Iterator[str]:
    """One str per input line, whatever the bytes: split on newline bytes only (so a lone
    ``\r``, U+2028 or a NUL never splits a line), decoded as UTF-8 with errors replaced."""
    raw: Any = getattr(stdin, "buffer", stdin)
    for line in raw:
        if isinstance(line, bytes):
            line = line.removesuffix(b"\n").removesuffix(b"\r")
            yield line.decode("utf-8", "replace")
        else:
            yield clean_text(line.removesuffix("\n").removesuffix("\r"))


def json_line(data: Any) -> str:
    """One JSON object on one line, valid UTF-8, safe for every line-splitting reader."""
    from bot.logs import escape_line_separators

    return escape_line_separators(json.dumps(data, ensure_ascii=False)) + "\n"


def _answer(
    engine: Any, text: str, context: Any, as_json: bool, out: TextIO, end: str = "\n"
) -> None:
    decision = engine.decide(text, context)
    if as_json:
        out.write(json_line(decision.to_json(text)))
    else:
        out.write(decision.reply + end)


def _eval(
    path: Path, fmt: str, strict: bool, out: TextIO, targets: str = "chat", typos: bool = False
) -> int:
    from bot.evaluation import TARGET_SETS, evaluate, format_report, load_cases, typo_agreement
    from bot.understanding.engine import default_engine

    engine = default_engine()
    cases = load_cases(path, engine.catalog.intents)
    report = evaluate(engine.decide, cases, TARGET_SETS[targets])
    twins = typo_agreement(engine.decide, report.outcomes) if typos else None
    if fmt == "json":
        data = report.to_json()
        if twins is not None:
            data["typo_twins"] = {"same_reply": twins.rate, "same_answer": twins.answered_rate}
        out.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    else:
        out.write(format_report(report) + "\n")
        if twins is not None:
            out.write(
                f"\ntypo'd twins: same reply {twins.rate:.1%} of {twins.cases}; answered "
                f"messages answered the same {twins.answered_rate:.1%} of {twins.answered}\n"
            )
    return 1 if strict and report.failed_targets() else 0


def _healthcheck(port: int | None) -> int:
    """GET /healthz of the bot on this machine (the container's HEALTHCHECK): 0 when it is up."""
    import os
    import urllib.error
    import urllib.request

    if port is None:
        raw = os.environ.get("PORT", "").strip() or "8080"
        if not raw.isdigit():
            print(
                f"recovery-bot healthcheck: PORT must be a port number, got {raw!r}",
                file=sys.stderr,
            )
            return 1
        port = int(raw)
    url = f"http://127.0.0.1:{port}/healthz"  # bot.telegram.webhook.HEALTH_PATH, kept light
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            ok = response.status == 200
    except (urllib.error.URLError, OSError) as exc:
        print(f"recovery-bot healthcheck: {url}: {exc}", file=sys.stderr)
        return 1
    print(f"recovery-bot healthcheck: {url}: {'ok' if ok else 'not ready'}")
    return 0 if ok else 1


def _migrate(settings: Settings) -> int:
    import asyncio

    from bot.storage import Store
    from bot.storage.errors import StorageError
    from bot.storage.urls import resolve_database_url

    async def migrate() -> None:
        store = await Store.open(settings.database_url)
        await store.close()

    try:
        where = resolve_database_url(settings.database_url).describe()
        asyncio.run(migrate())
    except StorageError as exc:
        print(f"recovery-bot migrate: {exc}", file=sys.stderr)
        return 1
    print(f"recovery-bot migrate: {where} is at the latest schema")
    return 0


def _copy_content(target: Path) -> int:
    from bot.paths import HOME_VARIABLE, copy_content, describe_root

    try:
        copy_content(target)
    except (FileExistsError, OSError) as exc:
        print(f"recovery-bot copy-content: {exc}", file=sys.stderr)
        return 1
    print(
        f"copied the {describe_root()} to {target}/intents and {target}/content.\n"
        f"Edit them, run `recovery-bot --content {target} lint`, then run the bot with\n"
        f"{HOME_VARIABLE}={target.expanduser().resolve()} (or --content {target})."
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``recovery-bot`` console script."""
    args = _parser().parse_args(argv)
    if args.content is not None:
        from bot.paths import use_content_home

        try:
            use_content_home(args.content)
        except ValueError as exc:
            print(f"recovery-bot: {exc}", file=sys.stderr)
            return 2
    if args.command == "doctor":
        from bot.doctor import run_doctor

        return run_doctor(lint=not args.no_lint)
    if args.command == "healthcheck":
        return _healthcheck(args.port)
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        print(f"recovery-bot: configuration error: {exc}", file=sys.stderr)
        return 2
    from bot import logs

    # The bot itself logs at INFO by default; the terminal commands stay quiet (WARNING)
    # unless LOG_LEVEL is set, so nothing comes between a person and the chat's welcome.
    explicit = os.environ.get("LOG_LEVEL", "").strip()
    logs.configure(
        level=explicit or None,
        default_level=logging.INFO if args.command == "run" else logging.WARNING,
        fmt=settings.log_format,
        token=settings.telegram_bot_token,
        debug_module=settings.log_debug,
    )
    try:
        if args.command == "ask":
            # Every output line must be valid UTF-8, whatever the locale says.
            with contextlib.suppress(AttributeError, ValueError, io.UnsupportedOperation):
                sys.stdout.reconfigure(encoding="utf-8")  # type: ignore[union-attr]
            return _ask(args.text, args.json, sys.stdout, sys.stdin, args.country)
        if args.command == "eval":
            return _eval(args.file, args.format, args.strict, sys.stdout, args.targets, args.typos)
        if args.command == "chat":
            from bot.chat import run_chat

            return run_chat(settings)
        if args.command == "run":
            from bot.telegram.runner import run

            return run(settings)
        if args.command == "lint":
            from bot.lint.cli import run_lint

            return int(run_lint(args.format, verbose=args.verbose))
        if args.command == "review":
            return _review(args)
        if args.command == "stats":
            from bot.storage.stats import run_stats

            return run_stats(settings)
        if args.command == "migrate":
            return _migrate(settings)
        if args.command == "copy-content":
            return _copy_content(args.dir)
    except ContentError as exc:
        print(f"recovery-bot: content error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    raise AssertionError(f"unhandled command {args.command!r}")


if __name__ == "__main__":
    sys.exit(main())
