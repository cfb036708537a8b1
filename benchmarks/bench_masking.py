"""Masking personal data in logged questions: recall per form of personal data on a generated
corpus, and how often ordinary guideline questions get a word masked (false masking).

Baseline, measured in the same run: the masker as it was before the masking rework (commit
e7f01e8, loaded with `git show` into a temporary module), built with the same contacts and
knowledge words as the bot's own (`Service.masker_for`).

The corpus crosses question templates with names and forms, including names outside the name
lists (so recall is not measured on the lists alone). An item counts as masked when no part of
its personal data is left in the output (case-insensitive, whole words for names). The ordinary
questions are the labelled evaluation and holdout questions in tests/eval (not the blind sets).

    python benchmarks/bench_masking.py
"""

from __future__ import annotations

import importlib.util
import itertools
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from bot.answers import Guidebot
from bot.evaluation import load_questions
from bot.log.privacy import Masker
from bot.service import Service, knowledge_words

ROOT = Path(__file__).resolve().parent.parent
BASELINE_COMMIT = "e7f01e8"

NAME_TEMPLATES = [
    "kan jeg poste et bilde av {x} på facebook?",
    "hva gjør jeg hvis {x} klager på innlegget",
    "må jeg spørre {x} før jeg tagger noen?",
    "can I tag {x} in a photo from the party?",
    "jeg fikk en melding fra {x} om facebook-siden",
    "er det greit at {x} svarer på kommentarer",
]
START_TEMPLATES = ["{x} sa at jeg kunne dele innlegget", "{x} lurer på om vi kan bruke Instagram"]
COMMON_FIRST = ["Kari", "Ola", "Ingrid", "Jonas", "Nora", "Lars", "Emma", "Henrik", "Marius", "Silje"]
RARE_FIRST = ["Torgeir", "Synnøve", "Oddbjørg", "Gunnhild", "Ragnvald", "Eldbjørg", "Ottar", "Vebjørn"]
SURNAMES = ["Hansen", "Johansen", "Olsen", "Haugen", "Skoglund", "Fjellheim", "Myrvang", "Kvalsund"]
CONTACTS = ["Sigrid Eriksen", "Kari Nordvik", "Per Fjeldstad", "Mats Hansen", "Elin Mikkelsen", "Aslak Persen",
            "sigrid", "fjeldstad", "mikkelsen", "havnes"]
SAMI = ["Máret Sárá", "Áilu Gaup", "Ánde Somby", "Biret Eira", "Niillas Utsi", "Sámmol Hætta", "Iŋgá Buljo",
        "Ovllá Turi", "Juhán Logje", "Ristin Oskal", "máret", "áilu gaup"]
NAME_WORDS = [  # names that are also words, in a name-like context
    "kan jeg poste bilde av Dag?", "kollegaen min Dag ble tagget", "hun heter May og jobber her",
    "kan jeg tagge May Olsen?", "Vår Hansen vil ikke være med på bildet", "kollegaen min Liv sa nei",
    "kan jeg poste bilde av Per Olsen", "Finn Berg har klaget", "kollegaen min Odd vil ikke", "jeg spurte Tone Haugen",
    "dag olsen sa det var greit", "kan jeg legge ut bildet av liv hansen", "sjefen min Per sa ja",
    "may olsen vil ikke være med", "hva om Dag Berg klager", "kollega Siv tok bildet",
]
HANDLES = ["@kari.nordvik", "@ola", "@per-fjeldstad", "@sigrid_e", "@mats.hansen2"]
HANDLE_TEMPLATES = ["kan {x} se hva jeg skriver?", "bør jeg sende det til {x}", "{x} sa det var greit",
                    "hva om {x} deler det videre", "må {x} godkjenne innlegget", "jeg nevnte {x} i kommentaren"]
EMAILS = ["ola.nordmann@gmail.com", "kari@batsfjord.kommune.no", "Per.Hansen@Outlook.com", "t.berg@online.no"]
OBFUSCATED = ["ola (at) gmail.com", "ola[at]gmail[dot]com", "kari at batsfjord dot kommune dot no",
              "per (at) online (dot) no", "sigrid{at}hotmail.com", "ola snabel-a gmail punktum com"]
EMAIL_TEMPLATES = ["send det til {x} takk", "kan jeg bruke {x} på jobb?", "skriv til {x} om bildet",
                   "er {x} en trygg adresse", "hun har {x} som adresse"]
ADDRESSES = ["storgata 5", "kongens gate 12", "fjordveien 3, 9990 båtsfjord", "havnegata 14b", "strandvegen 102",
             "Skolegata 7", "kirkeveien 2 a", "nordre gate 9"]
ADDRESS_TEMPLATES = ["kan jeg poste bilde av huset i {x}?", "hun bor i {x}", "møtet er i {x} i morgen",
                     "er det lov å filme utenfor {x}"]
PLATES = ["AB 12345", "EL 98765", "ab12345", "SV-40211", "KH 4421", "ZT 1234"]
PLATE_TEMPLATES = ["kan jeg poste bilde av bilen {x}?", "bilen med skilt {x} står feil", "{x} står på plassen min",
                   "kan vi legge ut bilde der {x} synes"]
PHONES = ["91234567", "912 34 567", "+47 912 34 567", "0047 91234567", "(+47) 91234567", "912-34-567",
          "91 23 45 67", "+4791234567", "78 98 00 00"]
PHONE_TEMPLATES = ["ring meg på {x}", "nummeret hans er {x}", "kan jeg legge ut {x} på facebook?",
                   "send sms til {x}"]
FNR = ["01019012345", "010190 12345", "31129912345", "010190-12345", "010190.12345"]
FNR_TEMPLATES = ["fødselsnummeret mitt er {x}", "kan jeg sende {x} på e-post?", "skjemaet spør om {x}",
                 "er {x} personopplysning"]
HEALTH = [("sykmeldt for depresjon", "depresjon"), ("sykmeldt pga ryggen", "ryggen"),
          ("har fått diagnosen diabetes", "diabetes"), ("har kreft", "kreft"), ("er gravid", "gravid"),
          ("sykmeldt med angst", "angst"), ("har ADHD", "ADHD"), ("is on sick leave for burnout", "burnout"),
          ("sliter med depresjon", "depresjon"), ("har fått påvist epilepsi", "epilepsi")]
HEALTH_TEMPLATES = ["kollegaen min {x}, kan jeg si det til teamet?", "jeg {x}, må jeg fortelle lederen?",
                    "hva skal jeg svare hvis noen spør om hvorfor jeg {x}"]


# Ordinary questions written with the words a name masker may trip on (names that are words,
# capitals at sentence start, shouting, numbers that are not phone numbers).
TRICKY_ORDINARY = [
    "hvor mange innlegg kan vi poste per uke?", "Vår leder sier nei, hva gjelder?", "kan jeg poste om 17. mai?",
    "hva gjelder i dag for kommentarer", "May I post a picture of the town hall?", "Per nå, hvem eier kontoen?",
    "Liv og helse: kan vi dele kampanjen?", "kan vi bruke bildet fra strandryddedagen?", "GJELDER DETTE FOR NAV?",
    "KAN JEG POSTE PÅ FACEBOOK I ARBEIDSTIDEN?", "Hvor raskt må vi svare i helgen?", "Finn ut om vi kan bruke TikTok",
    "skal vi svare innen 24 timer eller 48 timer?", "punkt 4.4 sier noe om bilder, gjelder det video?",
    "Dag for dag: hvor ofte bør vi poste?", "kan vi poste 2 ganger i uka", "hva med sak 2024/1234 i kommunestyret",
    "Sol og sommer: kan vi legge ut ferieplanen?", "Odd spørsmål kanskje, men gjelder dette Snapchat?",
    "er det lov å dele referat fra møtet 12. mars",
]


def corpus() -> list[tuple[str, str, list[str], bool]]:
    """(form, text, secrets, whole words) items."""
    items: list[tuple[str, str, list[str], bool]] = []

    def add(form: str, templates: list[str], values: list[str], secrets=None, words: bool = False) -> None:
        for template, value in itertools.product(templates, values):
            items.append((form, template.format(x=value), secrets(value) if secrets else [value], words))

    def parts(value: str) -> list[str]:
        return value.split()

    lower_names = [f.lower() for f in COMMON_FIRST[:5]] + [f"{f.lower()} {s.lower()}" for f, s in
                                                            zip(COMMON_FIRST[5:] + RARE_FIRST[:3], SURNAMES, strict=False)]
    add("name, lower-case", NAME_TEMPLATES, lower_names, parts, True)
    add("name, contacts (any case)", NAME_TEMPLATES[:4], CONTACTS, parts, True)
    caps = [n.upper() for n in ["Kari Nordvik", "Ola", "Ingrid Hansen", "Torgeir Skoglund", "Nora", "Lars Olsen"]]
    add("name, ALL CAPS", NAME_TEMPLATES[:4] + [t.upper().replace("{X}", "{x}") for t in NAME_TEMPLATES[:2]], caps, parts, True)
    titled = [f"{f} {s}" for f, s in zip(COMMON_FIRST + RARE_FIRST, SURNAMES * 3, strict=False)][:12] + RARE_FIRST[:4]
    add("name, capitalised", NAME_TEMPLATES[:3], titled, parts, True)
    add("name, starting the sentence", START_TEMPLATES, COMMON_FIRST + RARE_FIRST[:4], parts, True)
    add("name, Sami", NAME_TEMPLATES[:3], SAMI, parts, True)
    for text in NAME_WORDS:
        name = re.findall(r"\b(?:[Dd]ag|[Mm]ay|Vår|[Ll]iv|Per|Finn|Odd|Tone|Siv)\b", text)
        surname = re.findall(r"\b(?:[Oo]lsen|[Hh]ansen|Berg|Haugen)\b", text)
        items.append(("name, also a word (Dag, May, Vår)", text, name + surname, True))
    add("@handle", HANDLE_TEMPLATES, HANDLES, lambda v: [v.lstrip("@")])
    add("e-mail", EMAIL_TEMPLATES, EMAILS, lambda v: [v.split("@")[0]])
    add("e-mail, obfuscated", EMAIL_TEMPLATES, OBFUSCATED, lambda v: [re.split(r"[\s(\[{]", v)[0]])
    add("street address", ADDRESS_TEMPLATES, ADDRESSES, lambda v: [re.search(r"\d+", v).group()])
    add("licence plate", PLATE_TEMPLATES, PLATES, lambda v: [re.sub(r"\D", "", v)])
    add("phone number", PHONE_TEMPLATES, PHONES, lambda v: [re.sub(r"\D", "", v)[-8:]])
    add("fødselsnummer", FNR_TEMPLATES, FNR, lambda v: [re.sub(r"\D", "", v)[-5:]])
    for template, (phrase, secret) in itertools.product(HEALTH_TEMPLATES, HEALTH):
        items.append(("health detail", template.format(x=phrase), [secret], True))
    return items


def leaked(masked: str, secrets: list[str], words: bool) -> bool:
    if words:
        return any(re.search(rf"(?<!\w){re.escape(s)}(?!\w)", masked, re.IGNORECASE) for s in secrets)
    compact = re.sub(r"[\s.\-/()+]", "", masked).lower()
    return any(s.lower() in masked.lower() or re.sub(r"[\s.\-/()+]", "", s).lower() in compact for s in secrets)


def baseline_masker_class() -> type:
    """Masker from before the rework, read from git into a temporary module."""
    try:
        source = subprocess.run(["git", "show", f"{BASELINE_COMMIT}:bot/log/privacy.py"], cwd=ROOT, check=True,
                                capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError) as error:
        sys.exit(f"bench_masking: cannot read the baseline masker from git ({error})")
    folder = Path(tempfile.mkdtemp())
    (folder / "baseline_privacy.py").write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("baseline_privacy", folder / "baseline_privacy.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.Masker


def ordinary_questions() -> list[str]:
    texts = []
    for path in sorted((ROOT / "tests" / "eval").glob("*.yaml")):
        texts += [q.question for q in load_questions(path)]
    return [t for t in dict.fromkeys(texts) if "<@" not in t]  # a Slack mention is rightly masked


def main() -> None:
    bot = Guidebot.from_folder()
    current = Service.masker_for(bot)
    contacts = [p.name for p in bot.contacts.people] + [d.leader.name for d in bot.contacts.departments.values()]
    baseline = baseline_masker_class()(contacts, known_words=knowledge_words(bot))
    maskers: dict[str, Masker] = {"baseline": baseline, "now": current}
    items = corpus()
    caught: dict[str, dict[str, int]] = {name: defaultdict(int) for name in maskers}
    totals: dict[str, int] = defaultdict(int)
    seconds: dict[str, float] = {}
    for name, masker in maskers.items():
        start = time.perf_counter()
        for form, text, secrets, words in items:
            if not leaked(masker.mask(text), secrets, words):
                caught[name][form] += 1
        seconds[name] = time.perf_counter() - start
    for form, *_ in items:
        totals[form] += 1
    questions = ordinary_questions()
    changed = {name: sum(m.mask(q) != q for q in questions) for name, m in maskers.items()}
    words_total = sum(len(q.split()) for q in questions)
    words_masked = {name: sum(m.mask(q).count("[") - q.count("[") for q in questions) for name, m in maskers.items()}
    tricky = {name: sum(m.mask(q) != q for q in TRICKY_ORDINARY) for name, m in maskers.items()}

    print(f"Masking recall on {len(items)} generated items; false masking on {len(questions)} ordinary questions\n")
    print("| form | items | baseline | now |")
    print("|---|---|---|---|")
    for form in totals:
        print(f"| {form} | {totals[form]} | {caught['baseline'][form] / totals[form]:.0%} | "
              f"{caught['now'][form] / totals[form]:.0%} |")
    overall = {name: sum(caught[name].values()) / len(items) for name in maskers}
    print(f"| **all forms** | {len(items)} | {overall['baseline']:.1%} | {overall['now']:.1%} |")
    print(f"| ordinary questions with something masked (false masking) | {len(questions)} | "
          f"{changed['baseline'] / len(questions):.1%} | {changed['now'] / len(questions):.1%} |")
    print(f"| words masked in ordinary questions | {words_total} | {words_masked['baseline'] / words_total:.2%} | "
          f"{words_masked['now'] / words_total:.2%} |")
    print(f"| ordinary questions with name-like words, something masked | {len(TRICKY_ORDINARY)} | "
          f"{tricky['baseline'] / len(TRICKY_ORDINARY):.0%} | {tricky['now'] / len(TRICKY_ORDINARY):.0%} |")
    print(f"| time per item | | {seconds['baseline'] / len(items) * 1e6:.0f} µs | "
          f"{seconds['now'] / len(items) * 1e6:.0f} µs |")
    if "-v" in sys.argv:
        for form, text, secrets, words in items:
            masked = current.mask(text)
            if leaked(masked, secrets, words):
                print("MISS", form, "|", text, "->", masked)
        for q in questions + TRICKY_ORDINARY:
            if current.mask(q) != q:
                print("FALSE", q, "->", current.mask(q))


if __name__ == "__main__":
    main()
