"""Talk to guidebot in a terminal, as one would in a Slack DM.

A number picks one of the options after "Mente du ...?"; `hjelp` explains; `avslutt` or an
empty line at end of input quits. Nothing is logged unless the caller passes a `Service`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TextIO

from bot.answers import Answer, Asker, Guidebot
from bot.service import Service

WELCOME = (
    "Hei! Jeg svarer på spørsmål om retningslinjene med sitat og punkt.\n"
    "Jeg kjenner: {documents}.\n"
    "Skriv et spørsmål, et tall for å velge et forslag, «hjelp» eller «avslutt».\n"
    "{logging}"
)
NOT_LOGGED = "Ingenting du skriver her blir lagret."
LOGGED = "Spørsmålene logges uten navn, med personopplysninger maskert, til statistikk for ledere."


def run_chat(
    bot: Guidebot, lines: Iterable[str], out: TextIO, asker: Asker | None = None, service: Service | None = None
) -> int:
    """Read questions from `lines`, write answers to `out`; returns the number answered.
    With a `service` (the CLI's --log) each question, and each numbered pick, is logged."""
    asker = asker or Asker()
    documents = ", ".join(d.title for d in bot.knowledge.documents)
    welcome = WELCOME.format(documents=documents, logging=LOGGED if service else NOT_LOGGED)
    print(welcome, file=out)
    last: Answer | None = None
    last_id: int | None = None
    count = 0
    for raw in lines:
        text = raw.strip()
        if text.lower() in ("avslutt", "quit", "exit", "q"):
            break
        if text.lower() in ("hjelp", "help", "?"):
            print(welcome, file=out)
            continue
        picked = None
        if last and last.outcome == "clarify" and text.isdigit() and 1 <= int(text) <= len(last.candidates):
            picked = bot.pick(last.candidates[int(text) - 1][0].id, last.question, asker, last.language)
        if picked is not None and picked.entry is not None:
            answer = picked
            if service and service.store and last_id is not None:
                service.store.record_choice(last_id, picked.entry.id)
        elif service:
            asked = service.ask(text, "cli", "terminal", asker)
            answer, last_id = asked.answer, asked.question_id
        else:
            answer = bot.ask(text, asker)
        print("", answer.as_text(), "", sep="\n", file=out)
        out.flush()
        last = answer
        count += 1
    return count
