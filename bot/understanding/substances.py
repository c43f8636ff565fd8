"""Which substances a message names: a question only about alcohol, cocaine or a benzodiazepine
is a near miss for an opioid-recovery bot, however close its words are to a catalog topic.

"how long does xanax withdrawal last" shares "withdrawal" with the withdrawal topic, and the
rankers alone rate it highly. The confidence models (``bot.understanding.confidence``) also read
whether the message names another substance and no opioid or opioid medication, and learn from
the calibration data how much that should lower their trust. Mixing questions ("suboxone and
xanax") name both and are not affected.
"""

from __future__ import annotations

from collections.abc import Collection

from bot.understanding.lexical import Analyzer

OTHER_SUBSTANCES = (
    "alcohol alcoholic alcoholism beer wine vodka cocaine coke crack meth methamphetamine "
    "amphetamine adderall ritalin stimulant stimulants benzodiazepine lorazepam ativan ambien "
    "weed marijuana cannabis thc edibles nicotine cigarettes cigarette vape vaping smoking "
    "gambling kratom gabapentin lyrica ketamine mdma molly ecstasy lsd shrooms mushrooms"
).split()
"""Substances (and habits) the catalog does not cover on their own (canonical words, as the
synonyms table writes them: "xanax" and "booze" arrive as benzodiazepine and alcohol)."""
OPIOIDS = (
    "opioid heroin fentanyl oxycodone methadone buprenorphine naloxone naltrexone morphine "
    "codeine tramadol opium"
).split()
"""Opioids and the medications for opioid use disorder (canonical words)."""


class SubstanceReader:
    """Reads a ranking's terms (stems, after the synonyms table) for the substances named."""

    def __init__(self, analyzer: Analyzer) -> None:
        self._other = frozenset(s for w in OTHER_SUBSTANCES for s in analyzer.terms(w))
        self._opioid = frozenset(s for w in OPIOIDS for s in analyzer.terms(w))

    def other_only(self, terms: Collection[str]) -> bool:
        """True when ``terms`` name another substance and no opioid."""
        named = frozenset(terms)
        return bool(named & self._other) and not named & self._opioid
