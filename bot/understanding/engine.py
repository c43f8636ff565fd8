"""The decision core: one message in, one ``Decision`` out. Knows nothing of Telegram.

The order is fixed: the crisis check runs first on every text, and only when it stays quiet
does intent matching run. A missed crisis is the worst failure; a wrong confident answer is the
second worst, so an answer needs both a high score and a clear lead over the runner-up.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from bot.catalog import ARTICLE_PREFIX, Catalog
from bot.crisis import (
    CountryResources,
    CrisisDetector,
    CrisisResources,
    crisis_reply,
    help_lines_text,
    overdose_pointer,
)
from bot.crisis.reply import crisis_banner
from bot.crisis.screen import CrisisScreen
from bot.crisis.semantic import CrisisClassifier
from bot.decision import Context, Decision
from bot.paths import content_dir
from bot.understanding.classifier import DEFAULT_MODEL as INTENT_MODEL
from bot.understanding.classifier import IntentClassifier
from bot.understanding.confidence import OUT_OF_SCOPE, confidence
from bot.understanding.embedding import shared_embedder
from bot.understanding.lexical import Ranking
from bot.understanding.message import Message
from bot.understanding.rankers import Rankers

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Thresholds:
    """Where confidence (``bot.understanding.confidence``) turns into an answer, a suggestion or
    a fallback."""

    answer: float = 0.85
    """Probability that the best intent is right, needed to answer with it. Chosen on
    cross-validated rankings (tools/calibrate.py prints the table): at 0.85 about 2% of on-topic
    questions get a wrong answer, realistic or chat-style (at 0.75, 3-3.3%); wrong answers
    matter more than missing ones."""
    in_scope: float = 0.9
    """Probability that the message is on a catalog topic, needed to offer anything. Chosen on
    the cross-validated table: at 0.9, 13 of 19 realistic off-topic questions that reached this
    step were turned away (8 at 0.8) while 98.4% of on-topic ones were still offered something
    (99.7% at 0.8)."""
    safety_suggest: float = 50.0
    """An overdose topic scoring this much (0-100) is offered rather than a plain fallback."""
    suggest_keep: float = 0.6
    """A runner-up is offered only if it scores at least this share of the best."""


FALLBACK_TEXT = (
    "I'm sorry, I don't have a good answer for that. I can help with how opioids affect the "
    "brain, treatment and medications, recovery, and staying safe. Send /topics to see them all, "
    "or ask in other words."
)
SAFETY_WORDS = ("overdose", "naloxone")
"""A message naming these (or their slang: od, narcan...) is never just turned away."""
FALLBACK_HELP = "If you need help right now: /crisis shows who you can reach today."
SUGGEST_TEXT = "I'm not sure I understood. Did you mean one of these?"


class Engine:
    """Everything ``decide()`` needs, loaded once at start-up."""

    def __init__(
        self,
        catalog: Catalog,
        crisis: CrisisScreen | CrisisDetector,
        resources: CrisisResources,
        *,
        default_country: str | None = None,
        thresholds: Thresholds | None = None,
        classifier: IntentClassifier | None = None,
    ) -> None:
        self.catalog = catalog
        self.crisis = crisis if isinstance(crisis, CrisisScreen) else CrisisScreen(crisis, None)
        """The crisis check: the lexicon, and the classifier when one is given."""
        self.resources = resources
        self.default_country = default_country
        self.thresholds = thresholds or Thresholds()
        examples: dict[str, Sequence[str]] = {i.id: i.examples for i in catalog.intents.values()}
        if catalog.out_of_scope:
            examples[OUT_OF_SCOPE] = catalog.out_of_scope
        fits = classifier is not None and classifier.fits(examples)
        if classifier is not None and not fits:
            log.warning(
                "the intent classifier was fitted on another version of the catalog: matching "
                "goes on without it; refit with tools/train_classifiers.py"
            )
        self.classifier = classifier if fits else None
        self.rankers = Rankers(
            examples,
            {i.id: (*i.keywords, i.title) for i in catalog.intents.values()},
            catalog.synonyms,
            shared_embedder(),
            self.classifier.model if self.classifier else None,
            self.classifier.example_vectors if self.classifier else None,
        )
        self.matcher = self.rankers.matcher
        self.semantic = self.rankers.semantic
        self._sources = {
            iid: source_names(catalog, i.answer.sources) for iid, i in catalog.intents.items()
        }
        self._safety_intents = tuple(
            i.id for i in catalog.intents.values() if i.safety_pointer and i.group == "safety"
        )
        self._safety_words = frozenset(
            t for word in SAFETY_WORDS for t in self.matcher.analyzer.terms(word)
        )

    @classmethod
    def load(cls, default_country: str | None = None, *, root: Path | None = None) -> Engine:
        """Load the catalog, the crisis lexicon and the help lines from the project folder."""
        cdir = content_dir(root)
        screen = CrisisScreen(CrisisDetector.load(cdir / "crisis_lexicon.yaml"), CrisisClassifier())
        return cls(
            Catalog.load(root),
            screen,
            CrisisResources.load(cdir / "crisis_resources.yaml"),
            default_country=default_country,
            classifier=IntentClassifier(INTENT_MODEL, shared_embedder()),
        )

    def country(self, context: Context) -> CountryResources:
        """The help lines for the person's country, the deployment's default, or worldwide."""
        return self.resources.for_country(context.country or self.default_country)

    def decide(self, text: str, context: Context | None = None) -> Decision:
        """Crisis check first, then the best intent by confidence. Never raises on input."""
        context = context or Context()
        message = Message.read(text, self.semantic.embedder)
        check = self.crisis.check(message)
        signal = check.signal
        if signal is not None:
            plan = context.safety_plan_text if context.chat_type == "private" else None
            return Decision(
                kind="crisis",
                intent=None,
                score=signal.score,
                reply=crisis_reply(signal, self.country(context), plan),
                crisis_kind=signal.kind,
            )
        decision = self.choose(self.rank(message), context)
        if check.adjacent and not self._has_crisis_line(decision):
            # A question about a crisis topic: its answer, with the crisis line on top.
            banner = crisis_banner(self.country(context))
            return replace(decision, reply=f"{banner}\n\n{decision.reply}")
        return decision

    def _has_crisis_line(self, decision: Decision) -> bool:
        """The decision's answer already leads with the crisis line (``Intent.crisis_line``)."""
        intent = self.catalog.intents.get(decision.intent or "")
        return decision.kind == "answer" and intent is not None and intent.crisis_line

    def rank(self, text: str | Message) -> Ranking:
        """The intents for ``text``, best first: words and meaning fused."""
        message = text if isinstance(text, Message) else Message.read(text, self.semantic.embedder)
        return self.rankers.rank(message)

    def choose(self, ranking: Ranking, context: Context) -> Decision:
        """Answer, suggest or fall back, from a ranking of intents."""
        t = self.thresholds
        ranked = ranking.matches
        sure = confidence(ranked, ranking.n_terms, self.rankers.other_substance_only(ranking))
        if not ranked or ranked[0].intent == OUT_OF_SCOPE or sure.in_scope < t.in_scope:
            top = ranked[0].score if ranked else 0.0
            safety = self._safety_topics(ranking)
            if safety:
                # Safety first: a question that may be about an overdose is never just turned
                # away; offering the overdose topics costs little if the guess is wrong.
                return Decision("suggest", None, top, safety, reply=self.suggest_reply(safety))
            return Decision("fallback", None, top, reply=self.fallback_reply(context))
        best = ranked[0]
        if sure.correct >= t.answer:
            return self.answer_for(best.intent, context, score=best.score)
        keep = [
            m.intent
            for m in ranked[:3]
            if m.score >= best.score * t.suggest_keep and m.intent != OUT_OF_SCOPE
        ]
        return Decision("suggest", None, best.score, tuple(keep), reply=self.suggest_reply(keep))

    def _safety_topics(self, ranking: Ranking) -> tuple[str, ...]:
        """Overdose topics to offer instead of a fallback, best first (or none).

        They are offered when one of them scored ``safety_suggest`` or more, or whenever the
        message names an overdose or naloxone at all.
        """
        named = not self._safety_words.isdisjoint(ranking.terms)
        floor = 0.0 if named else self.thresholds.safety_suggest
        found = [
            m.intent
            for m in ranking.matches
            if m.intent in self._safety_intents and m.score >= floor and m.score > 0
        ]
        if named:
            found += [i for i in self._safety_intents if i not in found]
        return tuple(found[:3])

    def answer_for(self, intent_id: str, context: Context, *, score: float = 100.0) -> Decision:
        """The vetted answer of one intent (also used when a person taps a topic button)."""
        intent = self.catalog.intents[intent_id]
        audience = context.audience or context.role
        variant = self.catalog.variants.get(intent.answer.id, {}).get(audience or "")
        answer = variant or intent.answer
        parts = [answer.text]
        if intent.crisis_line:
            parts.insert(0, crisis_banner(self.country(context)))
        if intent.safety_pointer:
            parts.append(overdose_pointer(self.country(context)))
        note = self.catalog.role_notes.get(audience) if audience and not variant else None
        if note and intent.group != "bot" and intent_id not in note.skip:
            parts.append(note.text)
        names = source_names(self.catalog, variant.sources) if variant else self._sources[intent_id]
        line = source_line(names, context.sources_limit)
        if line:
            parts.append(line)
        return Decision("answer", intent_id, score, reply="\n\n".join(parts))

    def suggest_reply(self, intent_ids: Sequence[str]) -> str:
        lines = [SUGGEST_TEXT]
        lines += [
            f"{n}. {self.catalog.intents[i].title}" for n, i in enumerate(intent_ids, start=1)
        ]
        return "\n".join(lines)

    def fallback_reply(self, context: Context) -> str:
        return (
            f"{FALLBACK_TEXT}\n\nIf you need help right now: /crisis shows who you can reach today."
        )

    def help_lines(self, context: Context) -> str:
        """The /crisis text for the person's country."""
        return help_lines_text(self.country(context))


ARTICLE_TITLE = "Opioid Addiction and the Brain"
OWN_GUIDE = "recovery-bot-guide"
"""The bot's own user guide: answers about the bot itself (greeting, thanks, help) cite only
it, and get no source line."""


def source_names(catalog: Catalog, refs: Sequence[str]) -> tuple[str, ...]:
    """An answer's sources, compact: the article once with its sections, then the others.

    ``("Opioid Addiction and the Brain (§ Genetics, § Conclusion)", "NIDA: ...")``; empty for
    answers that cite only the bot's own guide.
    """
    if all(ref == OWN_GUIDE for ref in refs):
        return ()
    sections = [
        f"§ {catalog.article_sections[ref[len(ARTICLE_PREFIX) :]]}"
        for ref in refs
        if ref.startswith(ARTICLE_PREFIX)
    ]
    names: list[str] = []
    if sections or "article" in refs:
        names.append(f"{ARTICLE_TITLE} ({', '.join(sections)})" if sections else ARTICLE_TITLE)
    names += [
        catalog.sources[ref].name
        for ref in refs
        if ref != "article" and not ref.startswith(ARTICLE_PREFIX)
    ]
    return tuple(names)


def source_line(names: Sequence[str], limit: int | None = None) -> str:
    """``Sources: a; b; c`` ("Source:" for one). With ``limit`` (characters), a longer list is
    cut after whole names with "and N more (/sources)": only transports that have /sources
    pass a limit, so elsewhere the list stays whole."""
    if not names:
        return ""
    head = "Source: " if len(names) == 1 else "Sources: "
    whole = head + "; ".join(names)
    if limit is None or len(whole) <= limit:
        return whole
    shown: list[str] = [names[0]]
    for name in names[1:]:
        if len(head) + len("; ".join([*shown, name])) > limit:
            break
        shown.append(name)
    rest = len(names) - len(shown)
    if rest == 0:
        return whole
    return f"{head}{'; '.join(shown)}; and {rest} more (/sources)"


@lru_cache(maxsize=1)
def default_engine() -> Engine:
    """The engine for this process, configured from the environment."""
    from bot.config import Settings

    return Engine.load(Settings.from_env().default_country)


def decide(text: str, context: Context | None = None) -> Decision:
    """Decide what to do with one message, with the process's default engine."""
    return default_engine().decide(text, context)
