"""Crisis detection measured on the sets written apart from it (tests/data/crisis_eval).

    python tools/crisis_report.py [--split dev|heldout|both] [--misses]

For each split, over every set in tests/data/crisis_eval (the rounds included): recall by set,
by kind, by how the message was written and by mechanical form (capitals, curly quotes, hidden
characters, look-alike letters, spaced letters), how many get the help lines first (the crisis
reply, or the line on top of the answer), and what each detector caught on its own; then full
alarms and crisis-line banners on the adjacent messages by set and category, and alarms on
ordinary questions (the realistic question sets and the
shared development sets). ``--misses`` lists missed crisis messages and false alarms of the
dev split only: the held-out split is reported, never read message by message.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import yaml  # noqa: E402
from crisis_sets import every_set, load, variants  # noqa: E402

from bot.crisis.screen import CrisisScreen  # noqa: E402
from bot.understanding.engine import default_engine  # noqa: E402

SHARED = ROOT.parent / "shared" / "eval"


def ordinary_questions(split: str) -> list[str]:
    """Questions that are not crises and that no classifier was trained on.

    dev: the shared development sets and the chat-style held-out set of the matcher (the
    realistic calibration sets are left out: the crisis classifier learned from them);
    heldout: the held-out parts of the realistic question sets.
    """
    if split == "heldout":
        files = sorted((ROOT / "tests" / "data" / "real_style").glob("*_heldout.yaml"))
    else:
        files = [SHARED / "dev.yaml", SHARED / "real_dev.yaml", ROOT / "tests/data/heldout.yaml"]
    out: list[str] = []
    for path in files:
        if not path.is_file():
            continue
        for case in yaml.safe_load(path.read_text(encoding="utf-8")):
            expect = case["expect"] if isinstance(case["expect"], list) else [case["expect"]]
            if "crisis" not in expect:
                out.append(str(case["text"]))
    return out


def _pct(hit: int, total: int) -> str:
    return f"{100 * hit / total:5.1f}% of {total:4d}" if total else "   -"


def report(screen: CrisisScreen, split: str, show_misses: bool) -> None:
    print(f"\n=== {split} ===")
    hits: Counter[tuple[str, str]] = Counter()
    first: Counter[tuple[str, str]] = Counter()
    lex: Counter[tuple[str, str]] = Counter()
    sem: Counter[tuple[str, str]] = Counter()
    total: Counter[tuple[str, str]] = Counter()
    misses: list[str] = []
    cases = [c for name in every_set("positive", split) for c in load(name, split)]
    for case in cases:
        for form, text in variants(case):
            check = screen.check(text)
            keys = [
                ("all", "all"),
                ("set", case.set),
                ("kind", str(case.kind)),
                ("written", str(case.form)),
                ("form", form),
            ]
            for key in keys:
                total[key] += 1
                hits[key] += check.signal is not None
                first[key] += check.signal is not None or check.adjacent
                lex[key] += check.lexicon
                sem[key] += check.semantic >= 0.8
            if check.signal is None and show_misses and split == "dev":
                misses.append(f"  [{form}] {case.kind} p={check.semantic:.2f} {text}")
    print("recall (both detectors | help lines first | lexicon alone | classifier alone)")
    for key in sorted(total):
        print(
            f"  {key[0]:8} {key[1]:18} {_pct(hits[key], total[key])}"
            f"  | {_pct(first[key], total[key])}"
            f"  | {_pct(lex[key], total[key])} | {_pct(sem[key], total[key])}"
        )
    alarms: Counter[str] = Counter()
    banners: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    false_alarms: list[str] = []

    def calm(texts: Iterable[tuple[str, str]]) -> None:
        for category, text in texts:
            check = screen.check(text)
            seen[category] += 1
            alarms[category] += check.signal is not None
            banners[category] += check.adjacent
            if check.signal is not None and show_misses and split == "dev":
                false_alarms.append(f"  {category} p={check.semantic:.2f} {text[:160]}")

    for name in every_set("adjacent", split):
        calm((f"{name.removesuffix('_adjacent')} {c.category}", c.text) for c in load(name, split))
    calm(("ordinary question", t) for t in ordinary_questions(split))
    print("calm messages: full crisis alarms | crisis line on top of the answer")
    for category in sorted(seen):
        print(
            f"  {category:28} {_pct(alarms[category], seen[category])}"
            f" | {_pct(banners[category], seen[category])}"
        )
    if show_misses and split == "dev":
        print("missed crises:", *misses, sep="\n")
        print("false alarms:", *false_alarms, sep="\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=("dev", "heldout", "both"), default="both")
    parser.add_argument("--misses", action="store_true")
    args = parser.parse_args()
    screen = default_engine().crisis
    for split in ("dev", "heldout") if args.split == "both" else (args.split,):
        report(screen, split, args.misses)


if __name__ == "__main__":
    main()
