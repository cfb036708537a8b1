"""Privacy: masking personal data in questions, and the notice that tells people what is logged.

Norwegian law limits an employer's monitoring of employees' use of IT systems
(e-postforskriften; arbeidsmiljøloven chapter 9) and GDPR asks for minimisation and limited
retention. So the question log answers "what do people wonder about?", never "what did Kari
ask?": no user id, name or channel is stored with a question, and the text is masked before
it is written:

>>> Masker(["Kari Nordvik"]).mask("Kan jeg poste bilde av Kari Nordvik? Ring 912 34 567")
'Kan jeg poste bilde av [navn]? Ring [telefon]'
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_SLACK_USER = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>|<!(?:here|channel|everyone)[^>]*>|<!subteam\^[^>]*>")
_SLACK_CHANNEL = re.compile(r"<#[A-Z0-9]+(?:\|[^>]*)?>")
_SLACK_LINK = re.compile(r"<(?:https?|mailto|tel):[^>]*>")
_BARE_ID = re.compile(r"\b[UWCGD][A-Z0-9]{8,}\b")
_EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
# Digit runs with optional separators: 11 digits is a fødselsnummer, 8 or more a phone number.
_NUMBER = re.compile(r"(?<![\w+])(?:\+|00)?\d(?:[ .\-/]?\d){7,14}(?!\w)")

MASKS = {
    "user": "[bruker]",
    "channel": "[kanal]",
    "link": "[lenke]",
    "email": "[e-post]",
    "phone": "[telefon]",
    "fnr": "[fødselsnummer]",
    "name": "[navn]",
}


class Masker:
    """Replaces personal data in free text with placeholders such as ``[e-post]``.

    Masks Slack mentions and channel links, URLs, e-mail addresses, fødselsnummer (11 digits),
    phone numbers (8 or more digits, with or without +47 and separators), Slack ids, and the
    names of people the knowledge base's contacts list (whole names and each part of them).
    """

    def __init__(self, names: Iterable[str] = ()):
        parts = {part for name in names for part in [name, *name.split()] if len(part) >= 3}
        ordered = sorted(parts, key=len, reverse=True)  # "Kari Nordvik" before "Kari"
        self._names = (
            re.compile(r"\b(?:" + "|".join(re.escape(p) for p in ordered) + r")\b", re.IGNORECASE) if ordered else None
        )

    def mask(self, text: str) -> str:
        text = _SLACK_USER.sub(MASKS["user"], text)
        text = _SLACK_CHANNEL.sub(MASKS["channel"], text)
        text = _SLACK_LINK.sub(MASKS["link"], text)
        text = _EMAIL.sub(MASKS["email"], text)
        text = _URL.sub(MASKS["link"], text)
        text = _NUMBER.sub(_number_mask, text)
        text = _BARE_ID.sub(MASKS["user"], text)
        if self._names is not None:
            text = self._names.sub(MASKS["name"], text)
        return text


def _number_mask(match: re.Match[str]) -> str:
    digits = sum(c.isdigit() for c in match.group())
    plain = not match.group().startswith(("+", "00"))
    return MASKS["fnr"] if digits == 11 and plain else MASKS["phone"]


def notice(retention_days: int, language: str = "nb", it_contact: str = "IT") -> str:
    """What guidebot logs, why, for how long, and who to ask: for help texts and App Home."""
    if language == "en":
        return (
            "*What guidebot logs:* your question with personal data masked (e-mail addresses, "
            "phone numbers, national id numbers, names, links and mentions removed), the answer "
            "given, and your role and department for statistics. *Not* who you are: no user id, "
            "name or channel is stored with the question. *Why:* so leaders can see which "
            "questions come up often, in aggregate, and improve the guidelines and answers. "
            f"*How long:* the question text is deleted after {retention_days} days; only counts "
            f"per section and week are kept. Questions about this: {it_contact}."
        )
    return (
        "*Hva guidebot logger:* spørsmålet ditt med personopplysninger fjernet (e-postadresser, "
        "telefonnummer, fødselsnummer, navn, lenker og omtaler maskeres), svaret du fikk, og "
        "rollen og avdelingen din til statistikk. *Ikke* hvem du er: ingen bruker-id, navn eller "
        "kanal lagres sammen med spørsmålet. *Hvorfor:* så ledere kan se hvilke spørsmål som går "
        "igjen, bare samlet, og forbedre retningslinjene og svarene. *Hvor lenge:* teksten slettes "
        f"etter {retention_days} dager; bare antall per punkt og uke beholdes. Spørsmål om dette: "
        f"{it_contact}."
    )
