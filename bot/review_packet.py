"""``recovery-bot review``: one printable packet for a clinician, and recording their sign-off.

The packet holds every answer with its sources (names and URLs), its review record and where its
sign-off stands, with a unified diff against the text last signed; the help lines per country
with sources and check dates; and a sign-off form with the command that records it.
"""

from __future__ import annotations

import datetime as dt
import difflib
import html
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TextIO

from bot.catalog import ARTICLE_PREFIX, Answer, Catalog
from bot.crisis.detector import CrisisSignal
from bot.crisis.reply import crisis_reply
from bot.crisis.resources import CountryResources, CrisisResources, HelpLine
from bot.paths import content_dir, project_root
from bot.signoff import (
    HELP_LINES,
    SIGNOFFS_FILE,
    Coverage,
    coverage,
    is_clinical_role,
    load_signoffs,
    normalize,
    record_signoff,
    signable_texts,
    signed_text,
)

Format = Literal["md", "html"]

# --- a tiny document model, rendered as Markdown or HTML ------------------------------------


@dataclass(frozen=True)
class Block:
    kind: Literal["h1", "h2", "h3", "p", "ul", "pre", "diff", "table", "quote"]
    text: str = ""
    items: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()


def _md(blocks: Sequence[Block]) -> str:
    out: list[str] = []
    for b in blocks:
        if b.kind in ("h1", "h2", "h3"):
            out.append("#" * int(b.kind[1]) + " " + b.text)
        elif b.kind == "p":
            out.append(b.text)
        elif b.kind == "ul":
            out.append("\n".join(f"- {item}" for item in b.items))
        elif b.kind == "quote":
            out.append("\n".join(f"> {line}" if line else ">" for line in b.text.splitlines()))
        elif b.kind in ("pre", "diff"):
            fence = "```diff" if b.kind == "diff" else "```"
            out.append(f"{fence}\n{b.text.rstrip()}\n```")
        elif b.kind == "table":
            head = b.rows[0]
            cells = [f"| {' | '.join(c.replace('|', '/') for c in row)} |" for row in b.rows]
            out.append("\n".join([cells[0], "|" + "---|" * len(head), *cells[1:]]))
    return "\n\n".join(out) + "\n"


_CSS = """
body { font: 11pt/1.45 Georgia, serif; max-width: 48em; margin: 2em auto; color: #111; }
h1, h2, h3 { font-family: Helvetica, Arial, sans-serif; }
h2 { border-top: 2px solid #333; padding-top: .6em; margin-top: 2em; page-break-before: auto; }
blockquote { border-left: 4px solid #999; margin: 0; padding: .2em 1em; white-space: pre-wrap; }
pre { background: #f4f4f4; padding: .6em; white-space: pre-wrap; font-size: 9.5pt; }
table { border-collapse: collapse; width: 100%; font-size: 9.5pt; }
td, th { border: 1px solid #999; padding: .25em .4em; vertical-align: top; text-align: left; }
.add { color: #064; } .del { color: #900; }
@media print { h2 { page-break-before: always; } }
"""


def _html(blocks: Sequence[Block], title: str) -> str:
    e = html.escape
    out = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{e(title)}</title><style>{_CSS}</style></head><body>",
    ]
    for b in blocks:
        if b.kind in ("h1", "h2", "h3"):
            out.append(f"<{b.kind}>{e(b.text)}</{b.kind}>")
        elif b.kind == "p":
            out.append(f"<p>{e(b.text)}</p>")
        elif b.kind == "ul":
            out.append("<ul>" + "".join(f"<li>{e(i)}</li>" for i in b.items) + "</ul>")
        elif b.kind == "quote":
            out.append(f"<blockquote>{e(b.text)}</blockquote>")
        elif b.kind == "pre":
            out.append(f"<pre>{e(b.text)}</pre>")
        elif b.kind == "diff":
            lines = []
            for line in b.text.splitlines():
                cls = "add" if line.startswith("+") else "del" if line.startswith("-") else ""
                lines.append(f'<span class="{cls}">{e(line)}</span>' if cls else e(line))
            out.append("<pre>" + "\n".join(lines) + "</pre>")
        elif b.kind == "table":
            head, *body = b.rows
            rows = ["<tr>" + "".join(f"<th>{e(c)}</th>" for c in head) + "</tr>"]
            rows += ["<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in body]
            out.append("<table>" + "".join(rows) + "</table>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


# --- the packet ----------------------------------------------------------------------------


def _diff(old: str, new: str, label: str) -> str:
    lines = difflib.unified_diff(
        normalize(old).splitlines(),
        normalize(new).splitlines(),
        fromfile=f"{label} (signed)",
        tofile=f"{label} (now)",
        lineterm="",
    )
    return "\n".join(lines)


def _source_items(catalog: Catalog, answer: Answer) -> list[str]:
    items: list[str] = []
    for ref in answer.sources:
        if ref.startswith(ARTICLE_PREFIX):
            anchor = ref[len(ARTICLE_PREFIX) :]
            title = catalog.article_sections.get(anchor, anchor)
            items.append(
                f'The source article, section "{title}" (content/article.md#{anchor}; '
                "seed/article.txt)"
            )
        elif ref in catalog.sources:
            source = catalog.sources[ref]
            items.append(f"{source.name}: {source.url} [{ref}]")
        else:
            items.append(f"{ref} (not in content/sources.yaml)")
    return items


def _review_items(catalog: Catalog, answer: Answer) -> list[str]:
    review = answer.review
    if review is None:
        return ["No review record."]
    items = [
        f"Reviewed by: {review.by}",
        f"Role: {review.role or 'not given'}",
        f"On: {review.on.isoformat()}",
        f"Checked: {review.checked or 'not said'}",
    ]
    for g in review.guidance:
        source = catalog.sources.get(g.source)
        name = f"{source.name} ({source.url})" if source else f"{g.source} (unknown source id)"
        items.append(f"Guidance checked: {name}, dated {g.dated}")
    if not review.guidance:
        items.append("Guidance checked: none listed")
    return items


def _status_block(cov: Coverage, cdir: Path, label: str, today: dt.date) -> list[Block]:
    blocks = [Block("p", f"Clinical sign-off: {cov.status(today)}.")]
    if cov.changed and cov.last is not None:
        old = signed_text(cdir, cov.last.signed[cov.scope])
        if old is None:
            blocks.append(Block("p", "The signed text is not kept, so no diff can be shown."))
        else:
            blocks.append(Block("p", "What changed since that sign-off (unified diff):"))
            blocks.append(Block("diff", _diff(old, cov.text, label)))
    elif cov.current is None:
        blocks.append(Block("p", "New: the whole text needs review."))
    return blocks


def _line_row(kind: str, line: HelpLine) -> tuple[str, ...]:
    extra = "; ".join(x for x in (line.note, line.cost, line.spanish_note) if x)
    source = line.source + (f" ({line.source_note})" if line.source_note else "")
    return (
        kind,
        line.name,
        f"{line.verb} {line.contact}",
        line.hours,
        extra,
        source,
        line.verified_on.isoformat(),
    )


def _country_table(country: CountryResources) -> Block:
    rows: list[tuple[str, ...]] = [
        ("kind", "name", "contact", "hours", "notes", "source", "verified on")
    ]
    rows.append(_line_row("emergency", country.emergency))
    rows += [_line_row("crisis", line) for line in country.crisis_lines]
    rows += [_line_row("drugs", line) for line in country.drug_lines]
    return Block("table", rows=tuple(rows))


def build_packet(root: Path | None = None, today: dt.date | None = None) -> list[Block]:
    """The packet for the content under ``root`` (default: the project)."""
    root = root or project_root()
    today = today or dt.date.today()
    cdir = content_dir(root)
    catalog = Catalog.load(root)
    resources = CrisisResources.load(cdir / "crisis_resources.yaml")
    texts = signable_texts(catalog, resources)
    status = coverage(texts, load_signoffs(cdir / SIGNOFFS_FILE))
    titles: dict[str, list[str]] = {}
    for intent in catalog.intents.values():
        titles.setdefault(intent.answer.id, []).append(intent.title)
    answers = {i.answer.id: i.answer for i in catalog.intents.values()}

    signed_now = [c for c in status.values() if c.current and not c.stale(today)]
    blocks: list[Block] = [
        Block("h1", "recovery-bot: clinical review packet"),
        Block(
            "p",
            f"Prepared {today.isoformat()}. {len(answers)} answers and the help lines of "
            f"{len(resources.countries())} countries. {len(signed_now)} of {len(status)} texts "
            "carry a current clinical sign-off.",
        ),
        Block("h2", "How to review"),
        Block(
            "ul",
            items=(
                "Read each answer as a person in recovery or a family member would, on a phone.",
                "Check every statement against the sources listed under it; the review record "
                "says what the content team checked and against which guidance (with its date).",
                "Where the answer was signed before, the diff shows exactly what changed.",
                "The bot never gives doses and is not a crisis service; it always shows help "
                "lines. Flag anything unsafe, out of date, or missing.",
                "Tick each text you approve on the sign-off form at the end; write corrections "
                "next to any you do not approve.",
            ),
        ),
        Block("h2", "Summary"),
        Block(
            "table",
            rows=(
                ("text", "topic", "clinical sign-off"),
                *(
                    (
                        scope,
                        "; ".join(titles.get(scope, ["help lines and crisis replies"])),
                        c.status(today),
                    )
                    for scope, c in status.items()
                ),
            ),
        ),
    ]
    for answer_id, answer in answers.items():
        blocks += [
            Block("h2", f"Answer: {answer_id}"),
            Block("p", "Shown for: " + "; ".join(titles[answer_id])),
            Block("quote", answer.text),
            Block("h3", "Sources"),
            Block("ul", items=tuple(_source_items(catalog, answer))),
            Block("h3", "Review record"),
            Block("ul", items=tuple(_review_items(catalog, answer))),
            *_status_block(status[answer_id], cdir, answer_id, today),
        ]
    blocks += [
        Block("h2", "Help lines and crisis replies"),
        Block(
            "p",
            "Shown first in every crisis reply, by /crisis and in overdose answers. Each number "
            "was checked on the page named as its source on the date given (not by dialling).",
        ),
        *_status_block(status[HELP_LINES], cdir, HELP_LINES, today),
        Block("h3", "Crisis reply texts"),
        Block("pre", texts[HELP_LINES].split("\n\n# ")[0].removeprefix("# Crisis reply texts\n")),
    ]
    blocks.append(Block("h3", "Sample replies (what a person receives)"))
    for title, kind, code in (
        ("Overdose, United States", "overdose", "US"),
        ("Suicidal thoughts, country not known", "suicide", None),
        ("Overdose, country not known", "overdose", None),
    ):
        signal = CrisisSignal(kind, 100.0, "sample", "en")  # type: ignore[arg-type]
        blocks += [
            Block("p", f"{title}:"),
            Block("quote", crisis_reply(signal, resources.for_country(code))),
        ]
    for code, name in resources.countries():
        blocks += [Block("h3", f"{name} ({code})"), _country_table(resources.for_country(code))]
    blocks += [Block("h3", "Anywhere else"), _country_table(resources.fallback)]
    blocks += _form(list(status))
    return blocks


def _form(scopes: list[str]) -> list[Block]:
    return [
        Block("h2", "Sign-off form"),
        Block(
            "p",
            "I have reviewed the texts ticked below against their sources and current guidance, "
            "and I approve them for use by recovery-bot. Texts not ticked are not approved.",
        ),
        Block("ul", items=tuple(f"[ ] {scope}" for scope in scopes)),
        Block(
            "ul",
            items=(
                "Name: ______________________________",
                "Role (e.g. addiction-medicine physician, nurse, pharmacist): ______________",
                "Licence or registration number and body: ______________________",
                "Date: ______________    Signature: ______________________",
                "Notes and corrections: ____________________________________________",
            ),
        ),
        Block("h3", "Recording the sign-off (for the maintainers)"),
        Block(
            "p",
            "Record it against the exact texts in this packet, before anything changes: a "
            "sign-off covers a text only while it is unchanged.",
        ),
        Block(
            "pre",
            'recovery-bot review --sign --reviewer "Name" --role "addiction-medicine physician" '
            "--answers id1,id2,help_lines\n"
            'recovery-bot review --sign --reviewer "Name" --role "..." --all   # every text\n'
            "git add content/signoffs.yaml content/signoffs/ && git commit",
        ),
    ]


def render(blocks: Sequence[Block], fmt: Format) -> str:
    return _html(blocks, "recovery-bot clinical review packet") if fmt == "html" else _md(blocks)


# --- the command ---------------------------------------------------------------------------


def run_review(
    out_file: Path | None,
    fmt: Format,
    out: TextIO | None = None,
    root: Path | None = None,
    today: dt.date | None = None,
) -> int:
    """Write the packet to ``out_file`` (or standard output)."""
    text = render(build_packet(root, today), fmt)
    if out_file is None:
        (out or sys.stdout).write(text)
    else:
        out_file.write_text(text, encoding="utf-8")
        print(f"review packet written to {out_file}", file=out or sys.stdout)
    return 0


def run_sign(
    reviewer: str,
    role: str,
    answers: str | None,
    sign_all: bool,
    notes: str = "",
    on: dt.date | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
    root: Path | None = None,
) -> int:
    """Record a sign-off of the current texts named by ``answers`` (comma list) or all."""
    out, err = out or sys.stdout, err or sys.stderr
    root = root or project_root()
    cdir = content_dir(root)
    catalog = Catalog.load(root)
    resources = CrisisResources.load(cdir / "crisis_resources.yaml")
    texts = signable_texts(catalog, resources)
    if sign_all:
        scopes = list(texts)
    else:
        scopes = [s.strip() for s in (answers or "").split(",") if s.strip()]
    today = dt.date.today()
    on = on or today
    if on > today:
        print("recovery-bot review: the sign-off date is in the future", file=err)
        return 2
    try:
        signoff = record_signoff(
            cdir, texts, scopes, reviewer=reviewer, role=role, on=on, notes=notes
        )
    except ValueError as exc:
        known = ", ".join(texts)
        print(f"recovery-bot review: {exc}. Texts: {known}", file=err)
        return 2
    print(
        f"Recorded: {signoff.reviewer} ({signoff.role}) signed {len(signoff.signed)} text(s) "
        f"on {signoff.on.isoformat()} in content/{SIGNOFFS_FILE}; the signed texts are kept in "
        "content/signoffs/. Commit both.",
        file=out,
    )
    if not is_clinical_role(role):
        print(
            f"Note: {role!r} is not a clinical role, so this sign-off does not count as a "
            "clinician's: `recovery-bot lint` keeps warning until a clinician signs.",
            file=out,
        )
    return 0
