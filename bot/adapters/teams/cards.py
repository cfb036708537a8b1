"""Adaptive Cards (1.5) for Teams, built by pure functions from the core's `Answer`.

Everything a person wrote, and every verbatim quote, goes into a `TextRun` of a
`RichTextBlock`, which Teams never reads as Markdown: a question holding ``[kommune.no](https://evil)``
or ``**`` is shown as typed, and a quote is shown exactly as the guideline says it. Buttons are
`Action.Execute` (Universal Actions; Teams replaces the card with what the bot returns) with an
`Action.Submit` fallback for older clients. Their data is whatever `seal` makes of the fields:
the listeners sign it, so a click can only carry back what the bot issued.

Size: Teams refuses cards over about 28 KB, and the issue asks for under 25 KB. All button data of
one card (the fallbacks' copies included) shares `DATA_BYTES_BUDGET`: each button carries at most
its share, the question cut to a prefix when it would not fit (`bounded_seal`). `fit` then
shortens the longest texts until the whole card is under `CARD_BYTES_LIMIT`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote as url_quote

from bot.answers import Answer, Guidebot, Referral, cite, section_label, shorten
from bot.knowledge import Leader
from bot.log.reports import Report
from bot.texts import with_platform_texts

CARD_VERSION = "1.5"
CARD_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_BYTES_LIMIT = 25_000
DATA_BYTES_BUDGET = 12_000  # all button data of one card, Action.Submit fallbacks included
QUESTION_CARRIED_LIMIT = 1500  # the most of a question a button carries back (the draft's limit)
DEEP_LINK_MESSAGE_LIMIT = 1500  # keep the deep link well under URL length limits

# Verbs of every button, matched by the listeners.
PICK, NONE_OF_THESE, ASK_LEADER = "pick", "none", "askLeader"
CONFIRM_LEADER, CANCEL_LEADER = "confirmLeader", "cancelLeader"

Seal = Callable[..., dict]

# Teams' own wording; what both platforms say is `bot.texts.SHARED_TEXTS`.
TEXTS = with_platform_texts({
    "nb": {
        "confirm": "Din nærmeste leder er {leader}. Vil du åpne en chat med {leader} med spørsmålet ditt som utkast? "
        "Du sender det selv; guidebot sender ingenting.",
        "confirm_political": "Politikernes kontakt er {leader}. Vil du åpne en chat dit med spørsmålet ditt som "
        "utkast? Du sender det selv; guidebot sender ingenting.",
        "yes": "Ja, åpne chatten",
        "open_chat": "Åpne chat med {leader}",
        "link_ready": "Trykk på knappen for å åpne chatten med {leader}. "
        "Spørsmålet står som utkast; du sender det selv.",
        "draft": "Hei! Jeg har et spørsmål om retningslinjene som guidebot ikke kunne svare sikkert på:",
        "draft_section": "Nærmeste punkt: {section}",
        "cancelled": "Greit, jeg gjorde ingenting.",
        "none_chosen": "Du valgte «Ingen av disse».",
        "already_chosen": "Det er alt valgt fra dette kortet; svaret står over.",
        "expired": "Denne knappen virker ikke lenger. Still spørsmålet på nytt.",
        "report_personal": "Rapporten får du i en personlig chat med meg: skriv «rapport» der.",
        "report_file": "Hele rapporten for {since} – {until} som HTML-fil (åpnes i nettleseren).",
        "report_declined": "Greit, jeg lagret ikke rapporten.",
    },
    "en": {
        "confirm": "Your nearest leader is {leader}. Open a chat with {leader} with your question as a draft? "
        "You send it yourself; guidebot sends nothing.",
        "confirm_political": "The politicians' contact is {leader}. Open a chat there with your question as a draft? "
        "You send it yourself; guidebot sends nothing.",
        "yes": "Yes, open the chat",
        "open_chat": "Open a chat with {leader}",
        "link_ready": "Press the button to open the chat with {leader}. "
        "Your question is there as a draft; you send it.",
        "draft": "Hi! I have a question about the guidelines that guidebot could not answer reliably:",
        "draft_section": "Closest section: {section}",
        "cancelled": "OK, I did nothing.",
        "none_chosen": "You chose “None of these”.",
        "already_chosen": "A choice was already made on this card; the answer is above.",
        "expired": "This button no longer works. Please ask again.",
        "report_personal": "You get the report in a personal chat with me: write “report” there.",
        "report_file": "The full report for {since} – {until} as an HTML file (opens in a browser).",
        "report_declined": "OK, I did not save the report.",
    },
})


# -- elements


def text(value: str, **style: Any) -> dict:
    """A TextBlock for the bot's own words (Markdown subset allowed)."""
    return {"type": "TextBlock", "text": value, "wrap": True, **style}


def verbatim(value: str, **style: Any) -> dict:
    """Text shown exactly as written: a RichTextBlock's TextRun is never read as Markdown."""
    return {"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": value, **style}]}


def quote_block(value: str) -> dict:
    return {"type": "Container", "style": "emphasis", "items": [verbatim(f"«{value}»", italic=True)]}


def execute(title: str, verb: str, data: dict, style: str | None = None) -> dict:
    """An Action.Execute button; older clients fall back to Action.Submit with the same data."""
    action = {
        "type": "Action.Execute",
        "title": title[:80],
        "verb": verb,
        "data": data,
        "fallback": {"type": "Action.Submit", "title": title[:80], "data": data},
    }
    if style:
        action["style"] = style
    return action


def bounded_seal(seal: Seal, budget: int, **fields: Any) -> dict:
    """`seal(**fields)` in at most `budget` bytes of JSON: the question (`t`) is cut to a prefix
    until it fits (a long question then reaches a leader's draft shortened, never the card's size).
    The other fields are short (verb, question id, entry id, language)."""
    question = str(fields.get("t") or "")[:QUESTION_CARRIED_LIMIT]
    while True:
        data = seal(**{**fields, "t": question}) if "t" in fields else seal(**fields)
        used = len(json.dumps(data, ensure_ascii=False).encode("utf-8"))
        if used <= budget or not question:
            return data
        question = question[: max(0, min(len(question) - 1, len(question) * budget // used - 1))]


def budget_per_button(buttons: int) -> int:
    """Each button's share of `DATA_BYTES_BUDGET` (its data is there twice: Execute and Submit)."""
    return DATA_BYTES_BUDGET // (2 * max(1, buttons))


def card(body: list[dict], actions: list[dict] | None = None) -> dict:
    found = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": CARD_VERSION,
        "body": body,
    }
    if actions:
        found["actions"] = actions
    return found


def attachment(content: dict) -> dict:
    return {"contentType": CARD_TYPE, "content": content}


def message(content: dict, summary: str, feedback: bool = False) -> dict:
    """A message activity carrying one card; `summary` is what notifications and search show.
    With `feedback`, Teams adds its own 👍/👎 controls (message/submitAction invokes)."""
    activity: dict[str, Any] = {"type": "message", "summary": summary[:200], "attachments": [attachment(content)]}
    if feedback:
        activity["channelData"] = {"feedbackLoop": {"type": "default"}}
    return activity


def text_message(value: str) -> dict:
    return {"type": "message", "textFormat": "plain", "text": value}


# -- what guidebot says


def answer_card(answer: Answer, question_id: int | None, seal: Seal, can_ask_leader: bool) -> dict:
    """The answer: short answer, the verbatim quote, its source (document, section, revision)."""
    t = TEXTS[answer.language]
    entry, document = answer.entry, answer.document
    assert entry is not None and document is not None
    body: list[dict] = []
    if answer.notice:
        body.append(text(answer.notice, isSubtle=True, size="Small"))
    lead = [{"type": "TextRun", "text": answer.role_note + " ", "weight": "Bolder"}] if answer.role_note else []
    body.append({"type": "RichTextBlock", "inlines": [*lead, {"type": "TextRun", "text": answer.short_answer()}]})
    body.append(quote_block(entry.quote))
    body.append(verbatim(cite(document, entry, answer.language), isSubtle=True, size="Small"))
    if answer.see_also:
        also = "; ".join(f"{section_label(e.section, answer.language)}: «{shorten(e.quote)}»" for e in answer.see_also)
        body.append(verbatim(f"{t['see_also']}: {also}", isSubtle=True, size="Small"))
    actions = []
    if can_ask_leader:
        actions.append(
            execute(t["ask_leader"], ASK_LEADER, bounded_seal(seal, budget_per_button(1), v=ASK_LEADER, q=question_id,
                                                              e=entry.id, l=answer.language, t=answer.question))
        )
    return fit(card(body, actions))


def clarify_card(answer: Answer, question_id: int | None, seal: Seal) -> dict:
    """ "Mente du ...?": each candidate with its section and a quote excerpt, a button each,
    and "Ingen av disse"."""
    t = TEXTS[answer.language]
    body: list[dict] = [text(t["clarify"], weight="Bolder")]
    share = budget_per_button(len(answer.candidates) + 1)
    for entry, _score in answer.candidates:
        label = section_label(entry.section, answer.language).capitalize()
        body.append(
            {
                "type": "Container",
                "separator": True,
                "items": [
                    verbatim(f"{label}: «{shorten(entry.quote, 280)}»"),
                    {
                        "type": "ActionSet",
                        "actions": [
                            execute(f"{t['pick']} {section_label(entry.section, answer.language)}", PICK,
                                    bounded_seal(seal, share, v=PICK, q=question_id, e=entry.id, l=answer.language,
                                                 t=answer.question)),
                        ],
                    },
                ],
            }
        )
    actions = [execute(t["none"], NONE_OF_THESE, bounded_seal(seal, share, v=NONE_OF_THESE, q=question_id,
                                                               l=answer.language, t=answer.question))]
    return fit(card(body, actions))


def referral_line(referral: Referral, language: str) -> str:
    t = TEXTS[language]
    it = referral.it_label
    if referral.contact_kind == "politisk" and referral.contact:
        return t["ask_political"].format(contact=referral.contact.name, it=it)
    if referral.contact:
        return t["ask"].format(leader=referral.contact.name, it=it)
    return t["ask_unknown"].format(it=it)


def referral_card(answer: Answer, question_id: int | None, seal: Seal, can_ask_leader: bool) -> dict:
    """Says plainly that the guideline does not answer, and whom to ask (never an employee's
    leader for a politician); quotes the guideline's own advice for doubt cases."""
    t = TEXTS[answer.language]
    body: list[dict] = [text(answer.notice or t["referred"])]
    if answer.referral:
        body.append(verbatim(referral_line(answer.referral, answer.language)))
    if answer.doubt_quote and answer.document:
        body.append(text(t["doubt"], isSubtle=True, size="Small"))
        body.append(quote_block(answer.doubt_quote.quote))
        body.append(verbatim(cite(answer.document, answer.doubt_quote, answer.language), isSubtle=True, size="Small"))
    actions = []
    if can_ask_leader and answer.question:
        best = answer.candidates[0][0].id if answer.candidates else ""
        actions.append(
            execute(t["ask_leader"], ASK_LEADER, bounded_seal(seal, budget_per_button(1), v=ASK_LEADER, q=question_id,
                                                              e=best, l=answer.language, t=answer.question))
        )
    return fit(card(body, actions))


def card_for(answer: Answer, question_id: int | None, seal: Seal, can_ask_leader: bool) -> dict:
    if answer.outcome == "answered" and answer.entry is not None:
        return answer_card(answer, question_id, seal, can_ask_leader)
    if answer.outcome == "clarify" and answer.candidates:
        return clarify_card(answer, question_id, seal)
    return referral_card(answer, question_id, seal, can_ask_leader)


def summary_of(answer: Answer) -> str:
    """One line for notifications: the short answer, or the frame of a question back or referral."""
    t = TEXTS[answer.language]
    if answer.outcome == "answered" and answer.entry is not None:
        return shorten(answer.short_answer(), 190)
    if answer.outcome == "clarify" and answer.candidates:
        return t["clarify"]
    return answer.notice or t["referred"]


def notice_card(value: str) -> dict:
    """A card with one line: what replaces a used card ("Du valgte punkt 4.4.")."""
    return card([verbatim(value)])


def leader_confirmation_card(contact: Leader, political: bool, language: str, seal: Seal, fields: dict) -> dict:
    t = TEXTS[language]
    body = [verbatim(t["confirm_political" if political else "confirm"].format(leader=contact.name))]
    actions = [
        execute(t["yes"], CONFIRM_LEADER, bounded_seal(seal, budget_per_button(2), **{**fields, "v": CONFIRM_LEADER}),
                style="positive"),
        execute(t["cancel"], CANCEL_LEADER, bounded_seal(seal, budget_per_button(2), **{**fields, "v": CANCEL_LEADER})),
    ]
    return fit(card(body, actions))


def chat_deep_link(email: str, draft: str) -> str:
    """A Teams link that opens a 1:1 chat with `email`, the draft in the compose box (the asker sends it)."""
    if len(draft) > DEEP_LINK_MESSAGE_LIMIT:
        draft = shorten(draft, DEEP_LINK_MESSAGE_LIMIT)
    users, message = url_quote(email, safe="@"), url_quote(draft, safe="")
    return f"https://teams.microsoft.com/l/chat/0/0?users={users}&message={message}"


def leader_draft(question: str, section_citation: str, language: str) -> str:
    t = TEXTS[language]
    lines = [t["draft"], f"«{question}»"]
    if section_citation:
        lines.append(t["draft_section"].format(section=section_citation))
    return "\n".join(lines)


def leader_link_card(contact: Leader, link: str, language: str) -> dict:
    t = TEXTS[language]
    return card(
        [verbatim(t["link_ready"].format(leader=contact.name))],
        [{"type": "Action.OpenUrl", "title": t["open_chat"].format(leader=contact.name)[:80], "url": link}],
    )


def help_card(bot: Guidebot, notice: str, language: str = "nb") -> dict:
    """What guidebot does, which documents it knows, and what it logs (also the welcome message)."""
    if language == "en":
        intro = (
            "**guidebot** answers questions about the guidelines with a verbatim quote and the section number. "
            "When I'm not sure, I say so and refer you to your nearest leader or IT.\n\n"
            "Write to me here, or mention me (@guidebot) in a channel or group chat."
        )
        known = "**Documents I know:**"
    else:
        intro = (
            "**guidebot** svarer på spørsmål om retningslinjene med et ordrett sitat og punktnummer. "
            "Er jeg ikke sikker, sier jeg det og viser deg til nærmeste leder eller IT.\n\n"
            "Skriv til meg her, eller nevn meg (@guidebot) i en kanal eller gruppechat."
        )
        known = "**Dokumenter jeg kjenner:**"
    documents = [verbatim(f"• {d.title} ({d.owner}, {d.version_label})") for d in bot.knowledge.documents]
    return fit(card([text(intro), text(known), *documents, verbatim(notice.replace("*", ""), size="Small")]))


def report_card(report: Report) -> dict:
    """A leaders' digest: totals, top sections, frequent questions, the unanswered count."""
    outcomes = report.outcomes
    head = (
        f"{report.total} spørsmål {report.since} – {report.until}: {outcomes.get('answered', 0)} besvart, "
        f"{outcomes.get('clarify', 0)} spurt tilbake, {outcomes.get('referred', 0)} henvist."
    )
    sections = [f"• {section_label(s.section)} {s.title}: {s.count}" for s in report.top_sections[:5]]
    frequent = [f"• «{shorten(g.text, 120)}» ({g.count}, {section_label(g.section)})" for g in report.frequent[:5]]
    unanswered = [f"• «{shorten(g.text, 120)}» ({g.count})" for g in report.unanswered[:3]]
    body = [
        text("guidebot: hva lurer folk på?", size="Large", weight="Bolder"),
        verbatim(head, weight="Bolder"),
        text("**Mest spurte punkter**"),
        verbatim("\n".join(sections) or "(ingen)"),
        text("**Hyppige spørsmål**"),
        verbatim("\n".join(frequent) or "(ingen)"),
        text(f"**Ubesvarte: {report.unanswered_total}**"),
        verbatim("\n".join(unanswered) or "(ingen)"),
        text("Bare samlede tall; rapporten sier aldri hvem som spurte.", isSubtle=True, size="Small"),
    ]
    return fit(card(body))


def file_consent_card(filename: str, size: int, description: str, context: dict) -> dict:
    """Teams asks the leader where to save the HTML report (OneDrive) before the bot uploads it."""
    return {
        "contentType": "application/vnd.microsoft.teams.card.file.consent",
        "name": filename,
        "content": {
            "description": description, "sizeInBytes": size, "acceptContext": context, "declineContext": context
        },
    }


def file_info_card(name: str, content_url: str, unique_id: str, file_type: str) -> dict:
    return {
        "contentType": "application/vnd.microsoft.teams.card.file.info",
        "contentUrl": content_url,
        "name": name,
        "content": {"uniqueId": unique_id, "fileType": file_type},
    }


def fit(content: dict, limit: int = CARD_BYTES_LIMIT) -> dict:
    """Keep a card under `limit` bytes of JSON: long texts are shortened, longest first."""
    size = len(json.dumps(content, ensure_ascii=False).encode("utf-8"))
    while size > limit:
        runs = list(_text_holders(content))
        if not runs:
            break
        holder, key = max(runs, key=lambda found: len(found[0][found[1]]))
        value = holder[key]
        excess = size - limit
        holder[key] = shorten(value, max(40, len(value) - excess - 10)) if len(value) > 60 else value[:20]
        new_size = len(json.dumps(content, ensure_ascii=False).encode("utf-8"))
        if new_size >= size:
            break
        size = new_size
    return content


def _text_holders(node: Any):
    if isinstance(node, dict):
        if node.get("type") in ("TextRun", "TextBlock") and isinstance(node.get("text"), str):
            yield node, "text"
        for key, value in node.items():
            if key != "data":
                yield from _text_holders(value)
    elif isinstance(node, list):
        for item in node:
            yield from _text_holders(item)
