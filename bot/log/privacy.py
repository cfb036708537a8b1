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


# A capitalised word (or a hyphenated pair: Anne-Lise) that may be a name.
_CAPITALISED = re.compile(r"\b[A-ZÆØÅ][a-zæøåéü]+(?:-[A-ZÆØÅ][a-zæøåéü]+)?\b")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;]\s*|\n\s*)$")
# Capitalised words people write in questions that are not names: products, places of work,
# days and months (capitalised by English writers), abbreviations read as words.
NOT_NAMES = frozenset(
    """
    teams outlook windows office word excel powerpoint onedrive sharepoint iphone ipad android mac
    microsoft google apple zoom visma acos gerica elements vpn wifi chrome edge safari firefox
    jeg kan hva hvem hvor hvordan hvorfor når er må skal vil har og men eller i på til
    monday tuesday wednesday thursday friday saturday sunday january february march april may june
    july august september october november december norge norway norsk norwegian english engelsk
    kommunen kommune kommunestyret ordfører rådhuset nav
    """.split()
)


class Masker:
    """Replaces personal data in free text with placeholders such as ``[e-post]``.

    Masks Slack mentions and channel links, URLs, e-mail addresses, fødselsnummer (11 digits),
    phone numbers (8 or more digits, with or without +47 and separators), Slack ids, the names of
    people in the contacts list (whole names and each part), and any other capitalised word that
    is neither in `known_words` (the knowledge base's own vocabulary) nor in `NOT_NAMES`. A word
    that starts a sentence is masked only as part of a full name ("Kari Nordvik sa ...") or when
    hyphenated ("Anne-Lise"): a lone "Kari sa ..." is kept unless Kari is in contacts, since
    "Printeren", "Hei" and "Kan" start sentences too. Masking too much is the safe side: a masked
    word costs a report a little detail, an unmasked name is personal data kept for months.
    """

    def __init__(self, names: Iterable[str] = (), known_words: Iterable[str] = ()):
        names = [n for n in names if n.strip()]
        # Whole names in any case ("kari nordvik"); single parts only capitalised, so that the
        # name "Per" does not mask "per uke".
        self._full_names = _alternation(sorted(names, key=len, reverse=True), re.IGNORECASE)
        self._name_parts = _alternation(sorted({p for n in names for p in n.split() if len(p) >= 3}), 0)
        self._known = frozenset(w.lower() for w in known_words) | NOT_NAMES

    def mask(self, text: str) -> str:
        text = _SLACK_USER.sub(MASKS["user"], text)
        text = _SLACK_CHANNEL.sub(MASKS["channel"], text)
        text = _SLACK_LINK.sub(MASKS["link"], text)
        text = _EMAIL.sub(MASKS["email"], text)
        text = _URL.sub(MASKS["link"], text)
        text = _NUMBER.sub(_number_mask, text)
        text = _BARE_ID.sub(MASKS["user"], text)
        for names in (self._full_names, self._name_parts):
            if names is not None:
                text = names.sub(MASKS["name"], text)
        return _CAPITALISED.sub(self._maybe_name, text)

    def _maybe_name(self, match: re.Match[str]) -> str:
        word = match.group()
        if word.lower() in self._known:
            return word
        if _SENTENCE_START.search(match.string[: match.start()]):
            # "Kan", "Hei" or "Kari" starting a sentence: a name only if a name follows ("Kari Nordvik").
            rest = match.string[match.end() + 1 :]
            following = _CAPITALISED.match(rest)
            name_follows = rest.startswith(MASKS["name"]) or (
                following is not None and following.group().lower() not in self._known
            )
            if not name_follows and "-" not in word:  # "Anne-Lise" is a name wherever it stands
                return word
        return MASKS["name"]


def _alternation(words: list[str], flags: int) -> re.Pattern[str] | None:
    if not words:
        return None
    return re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b", flags)


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
