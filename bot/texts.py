"""The wording the chat adapters share (nb/en): button labels, asking back, referral, the
apology and refusals. The core's own answer frame is `bot.answers.FRAME`; each adapter adds
only the wording that is its platform's own (Slack's Nyttig/Ikke nyttig and leader DM, Teams'
chat deep link and file consent) with `with_platform_texts`.

>>> with_platform_texts({"nb": {"yes": "Ja"}, "en": {"yes": "Yes"}})["en"]["pick"]
'Choose'
"""

from __future__ import annotations

from collections.abc import Mapping

SHARED_TEXTS: dict[str, dict[str, str]] = {
    "nb": {
        "ask_leader": "Spør lederen min",
        "pick": "Velg",
        "none": "Ingen av disse",
        "clarify": "Jeg er ikke helt sikker på hva du mener. Mente du ett av disse?",
        "referred": "Retningslinjene svarer ikke sikkert på dette, så jeg vil ikke gjette.",
        "ask": "Spør din nærmeste leder, {leader}, eller {it}.",
        "ask_unknown": "Spør din nærmeste leder, eller {it}.",
        "ask_political": "Spør {contact}, eller {it}.",
        "doubt": "Retningslinjene sier selv:",
        "cancel": "Avbryt",
        "no_leader": "Jeg vet ikke hvem din nærmeste leder er. Spør {it}.",
        "chosen": "Du valgte {section}.",
        "see_also": "Se også",
        "sorry": "Beklager, noe gikk galt hos meg. Prøv igjen om litt, eller kontakt {it}.",
        "only_text": "Jeg kan bare lese tekst. Skriv spørsmålet ditt som en vanlig melding.",
        "leaders_only": "Rapportene er bare for ledere. Lurer du på noe om dem, spør din nærmeste leder.",
    },
    "en": {
        "ask_leader": "Ask my leader",
        "pick": "Choose",
        "none": "None of these",
        "clarify": "I'm not quite sure what you mean. Did you mean one of these?",
        "referred": "The guidelines don't answer this reliably, so I won't guess.",
        "ask": "Ask your nearest leader, {leader}, or {it}.",
        "ask_unknown": "Ask your nearest leader, or {it}.",
        "ask_political": "Ask {contact}, or {it}.",
        "doubt": "The guidelines themselves say:",
        "cancel": "Cancel",
        "no_leader": "I don't know who your nearest leader is. Ask {it}.",
        "chosen": "You chose {section}.",
        "see_also": "See also",
        "sorry": "Sorry, something went wrong on my side. Try again in a moment, or contact {it}.",
        "only_text": "I can only read text. Please write your question as a normal message.",
        "leaders_only": "Reports are for leaders only. If you wonder about them, ask your nearest leader.",
    },
}


def with_platform_texts(own: Mapping[str, Mapping[str, str]]) -> dict[str, dict[str, str]]:
    """The shared texts plus a platform's own, per language. A platform may add wording but not
    reword a shared text (then it is not shared: move it out of `SHARED_TEXTS`), and must cover
    the same languages."""
    if set(own) != set(SHARED_TEXTS):
        raise ValueError(f"platform texts must cover exactly {sorted(SHARED_TEXTS)}, not {sorted(own)}")
    merged = {}
    for language, shared in SHARED_TEXTS.items():
        reworded = set(shared) & set(own[language])
        if reworded:
            raise ValueError(f"platform texts reword shared ones: {sorted(reworded)}")
        merged[language] = {**shared, **own[language]}
    return merged
