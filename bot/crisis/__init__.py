"""The crisis safety layer: recognise a person in crisis and put them in touch with help first.

Every incoming message passes ``CrisisDetector.detect`` before anything else.
"""

from bot.crisis.detector import CrisisDetector, CrisisSignal
from bot.crisis.lexicon import Kind, LexiconError
from bot.crisis.reply import crisis_reply, help_lines_text, overdose_pointer
from bot.crisis.resources import CountryResources, CrisisResources, HelpLine, ResourcesError

__all__ = [
    "CountryResources",
    "CrisisDetector",
    "CrisisResources",
    "CrisisSignal",
    "HelpLine",
    "Kind",
    "LexiconError",
    "ResourcesError",
    "crisis_reply",
    "help_lines_text",
    "overdose_pointer",
]
