"""Examples the engine itself routes to another intent.

Two checks, both through ``Engine.decide`` (crisis check, matcher, thresholds) so they see what a
person would see:

* error: the full engine, which has every example, confidently answers an example with another
  intent. The example contradicts the catalog: a person typing it gets the wrong answer.
* warning: with the example held out (10-fold: each tenth of every intent's examples is held out
  in turn, which is close to leave-one-out and far cheaper), the engine answers it with another
  intent with a high score. A new message worded like it would likely get the wrong answer:
  the two intents need more distinctive examples or keywords.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass

from bot.catalog import Catalog
from bot.crisis import CrisisDetector
from bot.crisis.resources import CrisisResources
from bot.lint.context import LintContext
from bot.lint.findings import Finding, error, warning
from bot.understanding.engine import Engine

FOLDS = 10
HIGH_SCORE = 65.0
"""A held-out example is reported only when the wrong answer is this sure (the engine answers
from 50): weaker cases are normal overlap between neighbouring topics, and listing them all
would bury the useful ones."""


@dataclass(frozen=True)
class Routed:
    intent: str
    example: str
    line: int | None
    got: str
    score: float


def _held_out(catalog: Catalog, fold: int) -> Catalog:
    """The catalog without every ``FOLDS``-th example (those at index ``fold`` mod FOLDS)."""
    intents = {
        iid: dataclasses.replace(
            intent,
            examples=tuple(e for n, e in enumerate(intent.examples) if n % FOLDS != fold),
        )
        for iid, intent in catalog.intents.items()
    }
    oos = tuple(e for n, e in enumerate(catalog.out_of_scope) if n % FOLDS != fold)
    return dataclasses.replace(catalog, intents=intents, out_of_scope=oos)


def _misrouted(engine: Engine, catalog: Catalog, fold: int | None) -> Iterator[Routed]:
    for intent in catalog.intents.values():
        lines = intent.example_lines or (0,) * len(intent.examples)
        for n, (example, line) in enumerate(zip(intent.examples, lines, strict=False)):
            if fold is not None and n % FOLDS != fold:
                continue
            decision = engine.decide(example)
            if decision.kind == "answer" and decision.intent not in (None, intent.id):
                yield Routed(intent.id, example, line or None, str(decision.intent), decision.score)


def check_confusable(
    ctx: LintContext, detector: CrisisDetector, resources: CrisisResources
) -> Iterator[Finding]:
    catalog = ctx.catalog
    full = Engine(catalog, detector, resources)
    wrong: set[tuple[str, str]] = set()
    for r in _misrouted(full, catalog, None):
        wrong.add((r.intent, r.example))
        intent = catalog.intents[r.intent]
        yield error(
            intent.path,
            r.line or intent.line,
            "confusable",
            f"intent '{r.intent}': the bot answers example {r.example!r} with intent "
            f"'{r.got}' (score {r.score:.0f})",
            f"move the example to '{r.got}' if that answer fits it; otherwise reword it, or add "
            f"a keyword that is typical of '{r.intent}' only.",
        )
    for fold in range(FOLDS):
        engine = Engine(_held_out(catalog, fold), detector, resources, thresholds=full.thresholds)
        for r in _misrouted(engine, catalog, fold):
            if r.score < HIGH_SCORE or (r.intent, r.example) in wrong:
                continue
            intent = catalog.intents[r.intent]
            yield warning(
                intent.path,
                r.line or intent.line,
                "confusable",
                f"intent '{r.intent}': without this example, the bot would answer "
                f"{r.example!r} with intent '{r.got}' (score {r.score:.0f}): similar questions "
                "may get the wrong answer",
                f"add examples to '{r.intent}' worded like this one, or make '{r.got}' examples "
                "less alike it.",
            )
