"""Greetings, thanks and "ok": a brief, kind reply instead of a referral, and nothing logged.

A message is small talk only when *all* of it is: "hei", "takk!", "hallo?", "god morgen",
"tusen takk for hjelpa", "thanks", "ok 👍". "hei, kan jeg legge ut et bilde?" is a question.
The reply is in the asker's language (English when the words are English, else bokmål, which
nynorsk and dialect speakers read too).

>>> reply_to("Tusen takk!").text
'Bare hyggelig! Spør igjen når du lurer på noe.'
>>> reply_to("hei, kan jeg poste bilder?") is None
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Each kind: the phrases (lower case, punctuation and emoji removed, spaces single) in any of
# bokmål, nynorsk, dialect/chat spelling and English, and whether the words are English.
_PHRASES: dict[str, dict[str, str]] = {
    "greeting": {
        "nb": "hei | heii | heiii | hai | heia | heisann | "
        "hallo | halla | hallais | hei hei | hei du | hei guidebot | hallo guidebot | "
        "god morgen | god morgon | morn | morna | god dag | god ettermiddag | god kveld | goddag | hei igjen | "
        "hei på deg | hallo hallo | er du der | er du der da | hei er du der",
        "en": "hi | hello | hey | hi there | hello there | hey there | good morning | good afternoon | "
        "good evening | morning | are you there | hi guidebot | hello guidebot",
    },
    "thanks": {
        "nb": "takk | tak | takk takk | tusen takk | tusen tak | tussen takk | "
        "mange takk | takk skal du ha | takk for hjelpa | takk for hjelpen | "
        "takk for svaret | takk for svar | takker | supert takk | flott takk | fint takk | ok takk | okei takk | "
        "takk så mye | tusen hjartans takk | tusen hjertelig takk | takk for det | nydelig takk | perfekt takk",
        "en": "thanks | thank you | thanks a lot | tnx | thanx | "
        "thank you very much | many thanks | thx | ty | cheers | "
        "thanks for the help | thank you so much | great thanks | ok thanks",
    },
    "ok": {
        "nb": "ok | okei | oki | okay | greit | den er grei | skjønner | skjønt | forstått | supert | flott | fint | "
        "perfekt | topp | nice | ja | jepp | nei | nei takk | ok da | greit nok | aha | ah ok | ok greit",
        "en": "got it | understood | great | cool | fine | alright | all right | sounds good | i see | ok cool",
    },
    "bye": {
        "nb": "ha det | ha det bra | ha det godt | hadet | snakkes | god helg | ha en fin dag | god natt",
        "en": "bye | goodbye | see you | have a nice day | bye bye",
    },
}

REPLIES = {
    "greeting": {
        "nb": "Hei! Spør meg om retningslinjene, for eksempel «Kan jeg legge ut et bilde av en kollega?»",
        "en": "Hi! Ask me about the guidelines, for example “Can I post a photo of a colleague?”",
    },
    "thanks": {
        "nb": "Bare hyggelig! Spør igjen når du lurer på noe.",
        "en": "You're welcome! Ask again whenever you wonder about something.",
    },
    "ok": {
        "nb": "Greit! Bare spør hvis du lurer på noe mer.",
        "en": "Great! Just ask if there is anything else.",
    },
    "bye": {
        "nb": "Ha det bra!",
        "en": "Bye for now!",
    },
}

_KNOWN: dict[str, tuple[str, str]] = {
    phrase.strip(): (kind, language)
    for kind, by_language in _PHRASES.items()
    for language, phrases in by_language.items()
    for phrase in phrases.split("|")
}
MAX_SMALLTALK_CHARS = 60  # anything longer is a question, or at least worth a real answer


@dataclass(frozen=True)
class SmallTalk:
    kind: str  # greeting | thanks | ok | bye
    language: str  # nb | en
    text: str  # the reply


def reply_to(text: str | None) -> SmallTalk | None:
    """The reply if the whole message is small talk, else None."""
    if not text or len(text) > MAX_SMALLTALK_CHARS:
        return None
    # Slack markup (<@U123>, :wave:) and punctuation/emoji out; words kept.
    words = re.sub(r"<[^>]*>|:[a-z0-9_+-]+:", " ", text.lower())
    words = " ".join(re.findall(r"[^\W_]+", words))
    found = _KNOWN.get(words)
    if found is None and " " in words:
        # "hei, takk for hjelpa" / "ok takk": every part small talk; the last part sets the kind.
        parts = [_KNOWN.get(part) for part in re.split(r"\s+(?=\b)", words)]
        found = parts[-1] if parts and all(parts) else None
    if found is None:
        return None
    kind, language = found
    return SmallTalk(kind, language, REPLIES[kind][language])
