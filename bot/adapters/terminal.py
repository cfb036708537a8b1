"""Talk to guidebot in a terminal, as one would in a Slack DM.

A number picks one of the options after "Mente du ...?"; `hjelp` explains; `avslutt` or an
empty line at end of input quits. Nothing is logged unless the caller passes a logging `ask`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TextIO

from bot.answers import Answer, Asker, Guidebot

WELCOME = (
    "Hei! Jeg svarer på spørsmål om retningslinjene med sitat og punkt.\n"
    "Jeg kjenner: {documents}.\n"
    "Skriv et spørsmål, et tall for å velge et forslag, «hjelp» eller «avslutt».\n"
    "{logging}"
)
NOT_LOGGED = "Ingenting du skriver her blir lagret."
LOGGED = "Spørsmålene logges uten navn, med personopplysninger maskert, til statistikk for ledere."


def run_chat(
    bot: Guidebot,
    lines: Iterable[str],
    out: TextIO,
    asker: Asker | None = None,
    ask: Callable[[str, Asker | None], Answer] | None = None,
) -> int:
    """Read questions from `lines`, write answers to `out`; returns the number answered.
    `ask` replaces `bot.ask` (the CLI's --log passes one that also logs the question)."""
    logged = ask is not None
    ask = ask or bot.ask
    documents = ", ".join(d.title for d in bot.knowledge.documents)
    welcome = WELCOME.format(documents=documents, logging=LOGGED if logged else NOT_LOGGED)
    print(welcome, file=out)
    last: Answer | None = None
    count = 0
    for raw in lines:
        text = raw.strip()
        if text.lower() in ("avslutt", "quit", "exit", "q"):
            break
        if text.lower() in ("hjelp", "help", "?"):
            print(welcome, file=out)
            continue
        if last and last.outcome == "clarify" and text.isdigit() and 1 <= int(text) <= len(last.candidates):
            picked = bot.pick(last.candidates[int(text) - 1][0].id, last.question, asker)
            answer = picked if picked is not None else ask(text, asker)
        else:
            answer = ask(text, asker)
        print("", answer.as_text(), "", sep="\n", file=out)
        out.flush()
        last = answer
        count += 1
    return count
