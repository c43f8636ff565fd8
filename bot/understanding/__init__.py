"""Message in, decision out: the decision core. It knows nothing of Telegram.

- ``text``: normalisation shared by every step (Unicode, hidden characters, look-alikes, slang);
- ``lexical``: intents ranked by words (rapidfuzz typo repair, IDF-weighted coverage);
- ``confidence``: answer, suggest or fall back, from the ranking;
- ``engine``: ``Engine.decide(text, context) -> Decision``, the crisis check first, then matching.
"""
