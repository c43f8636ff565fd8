"""Three rankers, one ranking: words, nearest meaning and the classifier, blended per intent.

- ``lexical``: shared words with the intent's vocabulary and closest example (0-100);
- ``semantic``: cosine similarity to the intent's closest example in meaning (0-1);
- ``classifier``: the intent classifier's probability (0-1), when one fits the catalog.

Each intent's fused score (0-100) is the weighted sum of the three, in equal parts (the
classifier's share goes to the other two when there is none). The candidates are the best
intents of each ranker, so a question worded unlike every example can still reach the right
topic. The raw scores travel with each match: the confidence models
(``bot.understanding.confidence``) learn from how far the rankers agree.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.understanding.lexical import Match, Ranking

WEIGHTS = (1 / 3, 1 / 3, 1 / 3)
"""Lexical, semantic, classifier: equal parts (chosen before measuring; see docs/MATCHING.md)."""
CANDIDATES = 5
"""How many of the semantic ranker's and the classifier's best intents join the candidates."""


def _top(scores: Mapping[str, float]) -> list[str]:
    return sorted(scores, key=lambda i: -scores[i])[:CANDIDATES]


def fuse(
    lexical: Ranking,
    semantic: Mapping[str, float],
    classifier: Mapping[str, float] | None = None,
    limit: int = 8,
) -> Ranking:
    """The fused ranking, best first, with each match's scores from every ranker."""
    w_lex, w_sem, w_clf = WEIGHTS
    if not classifier:
        w_lex, w_sem, w_clf = w_lex / (w_lex + w_sem), w_sem / (w_lex + w_sem), 0.0
    classifier = classifier or {}
    by_intent = {m.intent: m for m in lexical.matches}
    known = lexical.matches[0].known if lexical.matches else 0.0
    fused: list[Match] = []
    for intent in dict.fromkeys([*by_intent, *_top(semantic), *_top(classifier)]):
        words = by_intent.get(intent)
        lex = words.score if words else 0.0
        sem = max(0.0, semantic.get(intent, 0.0))
        clf = classifier.get(intent, 0.0)
        fused.append(
            Match(
                intent,
                w_lex * lex + 100.0 * (w_sem * sem + w_clf * clf),
                coverage=words.coverage if words else 0.0,
                nearest=words.nearest if words else 0.0,
                known=words.known if words else known,
                lexical=lex,
                semantic=sem,
                classifier=clf,
            )
        )
    fused.sort(key=lambda m: -m.score)
    return Ranking(fused[:limit], lexical.n_terms, lexical.terms)
