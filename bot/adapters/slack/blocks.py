"""Block Kit messages and views for Slack, built by pure functions from the core's `Answer`.

Every piece of text a user wrote is passed through `escape` before it reaches mrkdwn, so a
question containing ``<!channel>`` or ``<https://evil|kommune.no>`` cannot ping or forge a link.
`fit` keeps any message inside Slack's limits (3000 characters per section text, 50 blocks per
message, 100 per view, 40 000 characters of fallback text).

Button values come back in click payloads, so the bot only acts on values it issued: `seal`
prefixes each value with a MAC over the value, the asker's user id and the channel (keyed with
the installation's secret), and `open_value` gives a value back only for that user in that
channel, with every field in range.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from bot.answers import Answer, Guidebot, Referral, cite, section_label, shorten
from bot.knowledge import Document, Entry, Leader, is_numbered
from bot.log.reports import Report
from bot.texts import with_platform_texts

SECTION_TEXT_LIMIT = 3000
MESSAGE_BLOCK_LIMIT = 50
VIEW_BLOCK_LIMIT = 100
TEXT_LIMIT = 40_000
BUTTON_VALUE_LIMIT = 2000  # Slack's limit for a button value, seal included
SEAL_LENGTH = 22  # base64 characters of the MAC: 132 bits
MAX_QUESTION_ID = 2**63 - 1  # SQLite's largest integer
MAX_ENTRY_ID_LENGTH = 200

# action_id of every button, matched by the listeners.
USEFUL, NOT_USEFUL, ASK_LEADER = "feedback_useful", "feedback_not_useful", "ask_leader"
SEND_TO_LEADER, CANCEL_LEADER = "ask_leader_send", "ask_leader_cancel"
PICK, NONE_OF_THESE = "clarify_pick", "clarify_none"

# Slack's own wording; what both platforms say is `bot.texts.SHARED_TEXTS`.
TEXTS = with_platform_texts({
    "nb": {
        "useful": "Nyttig",
        "not_useful": "Ikke nyttig",
        "thanks": "Takk for tilbakemeldingen!",
        "confirm": "Din nærmeste leder er {leader}. Vil du at jeg sender spørsmålet ditt dit?",
        "confirm_political": "Politikernes kontakt er {leader}. Vil du at jeg sender spørsmålet ditt dit?",
        "send": "Ja, send",
        "sent": "Sendt til {leader}. Du får svar derfra.",
        "cancelled": "Greit, jeg sendte ingenting.",
        "leader_dm": (
            "Hei! {asker} har et spørsmål om retningslinjene som guidebot ikke kunne svare sikkert på, "
            "og ba meg sende det til deg:"
        ),
        "leader_dm_section": "Nærmeste punkt i retningslinjene: {section}",
        "report_wait": "Lager rapporten for de siste 30 dagene …",
        "report_file": "Hele rapporten for {since} – {until} (åpnes i nettleseren).",
        "not_yours": "Denne knappen kan jeg ikke bruke: den hører til et annet spørsmål eller en annen person. "
        "Still spørsmålet ditt på nytt, så får du egne knapper.",
        "already_sent": "Dette spørsmålet er allerede sendt til lederen din.",
        "expired": "Denne bekreftelsen er for gammel. Trykk «Spør lederen min» på nytt.",
    },
    "en": {
        "useful": "Useful",
        "not_useful": "Not useful",
        "thanks": "Thank you for the feedback!",
        "confirm": "Your nearest leader is {leader}. Shall I send your question to them?",
        "confirm_political": "The politicians' contact is {leader}. Shall I send your question there?",
        "send": "Yes, send",
        "sent": "Sent to {leader}. They will get back to you.",
        "cancelled": "OK, I sent nothing.",
        "leader_dm": (
            "Hi! {asker} has a question about the guidelines that guidebot could not answer reliably, "
            "and asked me to send it to you:"
        ),
        "leader_dm_section": "Closest section of the guidelines: {section}",
        "report_wait": "Making the report for the last 30 days …",
        "report_file": "The full report for {since} – {until} (opens in a browser).",
        "not_yours": "I can't use this button: it belongs to another question or another person. "
        "Ask your question again to get your own buttons.",
        "already_sent": "This question has already been sent to your leader.",
        "expired": "This confirmation has expired. Press «Ask my leader» again.",
    },
})


def escape(text: str) -> str:
    """Slack's three control characters, so user text is shown, never interpreted."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mention(leader: Leader, with_ping: bool) -> str:
    """`<@U…> (Name)` where a ping is wanted and possible, else the name alone."""
    name = escape(leader.name)
    if with_ping and leader.slack_user:
        return f"<@{leader.slack_user}> ({name})"
    return name


def it_contact(referral: Referral) -> str:
    return escape(referral.it_label)


def value(**fields: Any) -> str:
    """A button value: compact JSON, the question text shortened so that it stays under Slack's
    limit once sealed."""
    limit = BUTTON_VALUE_LIMIT - SEAL_LENGTH - 1
    encoded = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    while len(encoded) > limit and fields.get("t"):
        fields["t"] = fields["t"][: len(fields["t"]) - (len(encoded) - limit) - 1]
        encoded = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    return encoded


def _mac(key: bytes, raw: str, user: str, channel: str) -> str:
    digest = hmac.new(key, "\x1f".join((user, channel, raw)).encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:SEAL_LENGTH]


def seal(message: dict, key: bytes, user: str, channel: str) -> dict:
    """`message` with each button's value sealed to `user` in `channel`: `<mac>.<value>`.

    >>> sealed = seal({"blocks": [_section("x") | {"accessory": _button("Velg", PICK, '{"q":1}')}]}, b"k", "U1", "D1")
    >>> open_value(sealed["blocks"][0]["accessory"]["value"], b"k", "U1", "D1").question_id
    1
    >>> open_value(sealed["blocks"][0]["accessory"]["value"], b"k", "U2", "D1") is None
    True
    """

    def sealed(button: dict) -> dict:
        if button.get("type") != "button" or "value" not in button:
            return button
        return {**button, "value": f"{_mac(key, button['value'], user, channel)}.{button['value']}"}

    out = []
    for block in message.get("blocks", []):
        if block.get("type") == "actions":
            block = {**block, "elements": [sealed(e) for e in block.get("elements", [])]}
        if isinstance(block.get("accessory"), dict):
            block = {**block, "accessory": sealed(block["accessory"])}
        out.append(block)
    return {**message, "blocks": out}


def open_value(raw: Any, key: bytes, user: str, channel: str) -> ButtonValue | None:
    """The value of a button sealed for `user` in `channel`, or None: not sealed by this bot,
    issued to someone else or elsewhere, too long, or with a field out of range."""
    if not isinstance(raw, str) or len(raw) > BUTTON_VALUE_LIMIT or raw[SEAL_LENGTH : SEAL_LENGTH + 1] != ".":
        return None
    mac, inner = raw[:SEAL_LENGTH], raw[SEAL_LENGTH + 1 :]
    if not user or not channel or not hmac.compare_digest(mac, _mac(key, inner, user, channel)):
        return None
    try:
        data = json.loads(inner)
    except ValueError:
        return None
    return _fields(data, strict=True) if isinstance(data, dict) else None


@dataclass(frozen=True)
class ButtonValue:
    """What a button carries back: the logged question, an entry, the language, the question,
    and for "Ja, send" when the confirmation expires (Unix time)."""

    question_id: int | None = None
    entry: str = ""
    language: str = "nb"
    text: str = ""
    expires: int | None = None


def read_value(raw: Any) -> ButtonValue:
    """A button value's fields, read leniently and WITHOUT checking its seal: for the language
    of an apology, and for tests of the builders. Anything acted on goes through `open_value`."""
    if isinstance(raw, str) and raw[SEAL_LENGTH : SEAL_LENGTH + 1] == ".":
        raw = raw[SEAL_LENGTH + 1 :]
    try:
        data = json.loads(raw) if isinstance(raw, str) and len(raw) <= BUTTON_VALUE_LIMIT else {}
    except ValueError:
        data = {}
    return _fields(data if isinstance(data, dict) else {}, strict=False) or ButtonValue()


def _fields(data: dict, strict: bool) -> ButtonValue | None:
    """The fields of a value; out of range is None when `strict`, else the field's default."""
    question_id, entry, text, language = data.get("q"), data.get("e", ""), data.get("t", ""), data.get("l", "nb")
    expires = data.get("x")
    checks = {
        "q": question_id is None or (type(question_id) is int and 0 < question_id <= MAX_QUESTION_ID),
        "e": isinstance(entry, str) and len(entry) <= MAX_ENTRY_ID_LENGTH,
        "t": isinstance(text, str),
        "l": language in TEXTS,
        "x": expires is None or (type(expires) is int and 0 < expires <= MAX_QUESTION_ID),
    }
    if strict and not all(checks.values()):
        return None
    return ButtonValue(
        question_id=question_id if checks["q"] else None,
        entry=entry if checks["e"] else "",
        language=language if checks["l"] else "nb",
        text=text if checks["t"] else "",
        expires=expires if checks["x"] else None,
    )


def _section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(text: str) -> dict:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def _quote(text: str) -> dict:
    # rich_text is never parsed as mrkdwn, so the quote is shown exactly as written.
    return {
        "type": "rich_text",
        "elements": [{"type": "rich_text_quote", "elements": [{"type": "text", "text": text}]}],
    }


def _button(text: str, action_id: str, button_value: str, style: str | None = None) -> dict:
    button = {
        "type": "button",
        "text": {"type": "plain_text", "text": text[:75]},
        "action_id": action_id,
        "value": button_value,
    }
    if style:
        button["style"] = style
    return button


def answer_message(answer: Answer, question_id: int | None, can_ask_leader: bool) -> dict:
    """The answer: short answer, the quote, its source, and feedback / ask-my-leader buttons."""
    t = TEXTS[answer.language]
    entry, document = answer.entry, answer.document
    assert entry is not None and document is not None
    blocks: list[dict] = []
    if answer.notice:
        blocks.append(_context(escape(answer.notice)))
    lead = f"*{escape(answer.role_note)}* " if answer.role_note else ""
    blocks.append(_section(lead + escape(answer.short_answer())))
    blocks.append(_quote(entry.quote))
    blocks.append(_context(":page_facing_up: " + escape(cite(document, entry, answer.language))))
    if answer.see_also:
        also = "; ".join(
            f"{section_label(e.section, answer.language)}: «{escape(shorten(e.quote))}»" for e in answer.see_also
        )
        blocks.append(_context(f"{t['see_also']}: {also}"))
    buttons = [
        _button(t["useful"], USEFUL, value(q=question_id, e=entry.id)),
        _button(t["not_useful"], NOT_USEFUL, value(q=question_id, e=entry.id)),
    ]
    if can_ask_leader:
        buttons.append(
            _button(t["ask_leader"], ASK_LEADER, value(q=question_id, e=entry.id, l=answer.language, t=answer.question))
        )
    blocks.append({"type": "actions", "block_id": "answer_actions", "elements": buttons})
    fallback = f"{answer.short_answer()}\n«{entry.quote}»\n{cite(document, entry, answer.language)}"
    return fit({"text": escape(fallback), "blocks": blocks})


def clarify_message(answer: Answer, question_id: int | None) -> dict:
    """ "Mente du ...?" with one button per candidate, and "none of these"."""
    t = TEXTS[answer.language]
    blocks: list[dict] = [_section(t["clarify"])]
    for entry, _score in answer.candidates:
        label = f"*{section_label(entry.section, answer.language).capitalize()}*: {escape(shorten(entry.quote, 280))}"
        block = _section(label)
        block["accessory"] = _button(t["pick"], PICK, value(q=question_id, e=entry.id, l=answer.language))
        blocks.append(block)
    blocks.append(
        {
            "type": "actions",
            "block_id": "clarify_actions",
            "elements": [
                _button(t["none"], NONE_OF_THESE, value(q=question_id, l=answer.language, t=answer.question)),
            ],
        }
    )
    return fit({"text": t["clarify"], "blocks": blocks})


def referral_message(answer: Answer, question_id: int | None, ping: bool, can_ask_leader: bool) -> dict:
    """Says plainly that the guideline does not answer, and whom to ask (never an employee's
    leader for a politician); quotes the guideline's own advice for doubt cases."""
    t = TEXTS[answer.language]
    blocks: list[dict] = []
    if answer.notice:
        blocks.append(_section(escape(answer.notice)))
    else:
        blocks.append(_section(t["referred"]))
    if answer.referral:
        blocks.append(_section(referral_line(answer.referral, answer.language, ping)))
    if answer.doubt_quote and answer.document:
        blocks.append(_context(t["doubt"]))
        blocks.append(_quote(answer.doubt_quote.quote))
        blocks.append(_context(escape(cite(answer.document, answer.doubt_quote, answer.language))))
    if can_ask_leader and answer.question:
        best = answer.candidates[0][0].id if answer.candidates else ""
        blocks.append(
            {
                "type": "actions",
                "block_id": "referral_actions",
                "elements": [
                    _button(
                        t["ask_leader"], ASK_LEADER, value(q=question_id, e=best, l=answer.language, t=answer.question)
                    ),
                ],
            }
        )
    return fit({"text": "\n".join(_texts(blocks)), "blocks": blocks})


def referral_line(referral: Referral, language: str, ping: bool) -> str:
    t = TEXTS[language]
    it = it_contact(referral)
    if referral.contact_kind == "politisk" and referral.contact:
        return t["ask_political"].format(contact=mention(referral.contact, ping), it=it)
    if referral.contact:
        return t["ask"].format(leader=mention(referral.contact, ping), it=it)
    return t["ask_unknown"].format(it=it)


def message_for(answer: Answer, question_id: int | None, ping: bool, can_ask_leader: bool) -> dict:
    if answer.outcome == "answered" and answer.entry is not None:
        return answer_message(answer, question_id, can_ask_leader)
    if answer.outcome == "clarify" and answer.candidates:
        return clarify_message(answer, question_id)
    return referral_message(answer, question_id, ping, can_ask_leader)


def leader_confirmation(contact: Leader, political: bool, language: str, button_value: str) -> dict:
    t = TEXTS[language]
    text = t["confirm_political" if political else "confirm"].format(leader=mention(contact, with_ping=False))
    return fit(
        {
            "text": text,
            "blocks": [
                _section(text),
                {
                    "type": "actions",
                    "block_id": "leader_confirm",
                    "elements": [
                        _button(t["send"], SEND_TO_LEADER, button_value, style="primary"),
                        _button(t["cancel"], CANCEL_LEADER, button_value),
                    ],
                },
            ],
        }
    )


def leader_dm(asker_user: str, question: str, entry: Entry | None, document: Document | None, language: str) -> dict:
    """The DM a leader gets after the asker confirmed: who asks (with their consent), the
    question (escaped) and the closest section, so the leader can answer."""
    t = TEXTS[language]
    blocks = [_section(t["leader_dm"].format(asker=f"<@{asker_user}>")), _quote(question)]
    if entry is not None and document is not None:
        blocks.append(_context(escape(t["leader_dm_section"].format(section=cite(document, entry, language)))))
    return fit({"text": t["leader_dm"].format(asker=f"<@{asker_user}>") + "\n" + escape(question), "blocks": blocks})


def simple_message(text: str) -> dict:
    return fit({"text": text, "blocks": [_section(text)]})


def help_message(bot: Guidebot, notice: str, command: str) -> dict:
    """`/retningslinjer hjelp`: what guidebot does, which documents, and what it logs."""
    documents = "\n".join(
        f"• {escape(d.title)} ({escape(d.owner)}, {escape(d.version_label)})" for d in bot.knowledge.documents
    )
    blocks = [
        _section(
            "*guidebot* svarer på spørsmål om retningslinjene med et ordrett sitat og punktnummer. "
            "Er jeg ikke sikker, sier jeg det og viser deg til nærmeste leder eller IT.\n"
            f"Spør i en direktemelding til meg, nevn meg i en kanal, eller skriv `{escape(command)} <spørsmål>`."
        ),
        _section(f"*Dokumenter jeg kjenner:*\n{documents}"),
        _section(notice),
    ]
    return fit({"text": "guidebot: hjelp", "blocks": blocks})


EXAMPLES = (
    "Kan jeg legge ut et bilde av en kollega?",
    "Som folkevalgt, kan jeg svare på spørsmål om en byggesak på Facebook?",
    "Kan eg bruke jobbmailen på Facebook?",
    "Can I post on Facebook during working hours?",
)


def home_view(bot: Guidebot, notice: str) -> dict:
    """The App Home tab: what guidebot is, examples, each document's contents, the log notice."""
    blocks: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "text": "guidebot"}},
        _section(
            "Jeg svarer på spørsmål om kommunens retningslinjer med et *ordrett sitat* og *punktnummer*. "
            "Er jeg ikke sikker, viser jeg deg til nærmeste leder eller IT i stedet for å gjette."
        ),
        _section("*Prøv for eksempel:*\n" + "\n".join(f"• {escape(q)}" for q in EXAMPLES)),
        {"type": "divider"},
    ]
    for document in bot.knowledge.documents:
        blocks.append({"type": "header", "text": {"type": "plain_text", "text": document.title[:150]}})
        lines = [
            f"{escape(s.number)}{'  ' if is_numbered(s.number) else ': '}{escape(s.title)}" for s in document.sections
        ]
        blocks.append(_section("\n".join(lines)))
        blocks.append(_context(escape(f"{document.owner}, {document.version_label}")))
    blocks += [{"type": "divider"}, _section(notice)]
    return {"type": "home", "blocks": fit({"text": "", "blocks": blocks}, VIEW_BLOCK_LIMIT)["blocks"]}


def fit(message: dict, max_blocks: int = MESSAGE_BLOCK_LIMIT) -> dict:
    """Split section texts over 3000 characters, trim to `max_blocks` with a note, cap `text`."""
    blocks: list[dict] = []
    for block in message.get("blocks", []):
        text = block.get("text", {}).get("text", "") if block.get("type") == "section" else ""
        if len(text) <= SECTION_TEXT_LIMIT:
            blocks.append(block)
            continue
        chunks = _chunks(text, SECTION_TEXT_LIMIT)
        for number, chunk in enumerate(chunks):
            part = {**block, "text": {**block["text"], "text": chunk}}
            if number < len(chunks) - 1:
                part.pop("accessory", None)
            blocks.append(part)
    if len(blocks) > max_blocks:
        blocks = blocks[: max_blocks - 1] + [_context("… (forkortet: for langt for én Slack-melding)")]
    text = message.get("text", "")
    if len(text) > TEXT_LIMIT:
        text = text[: TEXT_LIMIT - 1] + "…"
    return {**message, "text": text, "blocks": blocks}


def _chunks(text: str, limit: int) -> list[str]:
    chunks: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        if cut < limit // 2:
            cut = text.rfind(" ", 0, limit)
        if cut < limit // 2:
            cut = limit
        # Never cut inside an escape such as "&amp;".
        amp = text.rfind("&", cut - 5, cut)
        if amp != -1 and ";" not in text[amp:cut]:
            cut = amp
        chunks.append(text[:cut])
        text = text[cut:].lstrip(" ")
    chunks.append(text)
    return chunks


def _texts(blocks: list[dict]) -> list[str]:
    out = []
    for block in blocks:
        if block.get("type") == "section":
            out.append(block["text"]["text"])
        elif block.get("type") == "context":
            out.extend(e.get("text", "") for e in block["elements"])
        elif block.get("type") == "rich_text":
            out.append("«" + escape(block["elements"][0]["elements"][0]["text"]) + "»")
    return out


def report_summary(report: Report) -> dict:
    """A leaders' digest: totals, top sections, frequent questions, the unanswered count."""
    outcomes = report.outcomes
    head = (
        f"*{report.total} spørsmål* {report.since} – {report.until}: {outcomes.get('answered', 0)} besvart, "
        f"{outcomes.get('clarify', 0)} spurt tilbake, {outcomes.get('referred', 0)} henvist."
    )
    sections = "\n".join(
        f"• {escape(section_label(s.section))} {escape(s.title)}: *{s.count}*" for s in report.top_sections[:5]
    )
    frequent = "\n".join(
        f"• «{escape(shorten(g.text, 120))}» ({g.count}, {escape(section_label(g.section))})"
        for g in report.frequent[:5]
    )
    open_groups = "\n".join(f"• «{escape(shorten(g.text, 120))}» ({g.count})" for g in report.unanswered[:3])
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "guidebot: hva lurer folk på?"}},
        _section(head),
        _section("*Mest spurte punkter*\n" + (sections or "(ingen)")),
        _section("*Hyppige spørsmål*\n" + (frequent or "(ingen)")),
        _section(f"*Ubesvarte: {report.unanswered_total}*\n" + (open_groups or "(ingen)")),
        _context("Bare samlede tall; rapporten sier aldri hvem som spurte. Hele rapporten: `guidebot report`."),
    ]
    return fit({"text": f"guidebot: {report.total} spørsmål {report.since} – {report.until}", "blocks": blocks})
