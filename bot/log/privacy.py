"""Privacy: masking personal data in questions, and the notice that tells people what is logged.

Norwegian law limits an employer's monitoring of employees' use of IT systems
(e-postforskriften; arbeidsmiljøloven chapter 9) and GDPR asks for minimisation and limited
retention. So the question log answers "what do people wonder about?", never "what did Kari
ask?": no user id, name or channel is stored with a question, and the text is masked before
it is written:

>>> Masker(["Kari Nordvik"]).mask("Kan jeg poste bilde av kari nordvik? Ring 912 34 567")
'Kan jeg poste bilde av [navn]? Ring [telefon]'
>>> Masker().mask("sigrid er sykmeldt for depresjon, skriv til ola (at) gmail.com")
'[navn] er sykmeldt for [helse], skriv til [e-post]'

Names come from three places: the contacts list, Faker's Norwegian, Swedish, Danish and Finnish
name lists (first names and surnames from the statistics offices, e.g. SSB's 100 most common;
MIT licence) plus a short list of North Sami names, and the shape of the text (a capitalised
word the knowledge base does not use, a word with Sami letters). Names that are also ordinary
words (Dag, May, Vår, Per, Berg) are masked only where they read as names: capitalised inside a
sentence, beside another name, or after words such as "kollega" or "heter".
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable
from functools import cache

_SLACK_USER = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>|<!(?:here|channel|everyone)[^>]*>|<!subteam\^[^>]*>")
_SLACK_CHANNEL = re.compile(r"<#[A-Z0-9]+(?:\|[^>]*)?>")
_SLACK_LINK = re.compile(r"<(?:https?|mailto|tel):[^>]*>")
_BARE_ID = re.compile(r"\b[UWCGD][A-Z0-9]{8,}\b")
_EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# "ola (at) gmail.com", "ola[at]gmail[dot]com", "ola snabel-a gmail punktum com".
_AT = r"(?:\s*(?:\(\s*(?:at|a|@)\s*\)|\[\s*(?:at|a|@)\s*\]|\{\s*(?:at|@)\s*\})\s*|\s+(?:at|snabel-a|krøllalfa)\s+)"
_DOT = r"(?:\s*(?:\.|\(\s*(?:dot|punktum|prikk)\s*\)|\[\s*(?:dot|punktum|prikk)\s*\])\s*|\s+(?:dot|punktum|prikk)\s+)"
_TLD = r"(?:no|com|org|net|se|dk|fi|eu|io|info|nu|me|uk|de|biz)"
_AT_MARKS = ("at", "(a)", "[a]", "snabel", "krøll")  # cheap test before the obfuscated-e-mail pattern
_OBFUSCATED_EMAIL = re.compile(rf"[\w.+-]+{_AT}[\w-]+(?:{_DOT}[\w-]+)*{_DOT}{_TLD}\b", re.IGNORECASE)
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_HANDLE = re.compile(r"(?<![\w@.])@[^\W_][\w.\-]*[^\W_]|(?<![\w@.])@[^\W_]")
# Digit runs with optional separators: 11 digits is a fødselsnummer, 8 or more a phone number.
_NUMBER = re.compile(r"(?<![\w+])(?:\(\s*(?:\+|00)?\d{2,3}\s*\)\s*|\+|00)?\d(?:[ .\-/]?\d){7,14}(?!\w)")
_CASE_NUMBER = re.compile(r"(?:19|20)\d\d/\d{1,6}")
# Norwegian licence plates: two letters and 4 or 5 digits (AB 12345, EL-12345, ab12345).
_PLATE = re.compile(r"\b([A-Za-zÆØÅæøå]{2})[ -]?(\d{4,5})\b")
_NOT_PLATE_PREFIXES = frozenset("nr kl ca kr pr no tf id uk nå på om av se år ok".split())
_STREET_WORDS = (
    r"gate|gata|gaten|gt\.?|veien|vegen|vei|veg|allé|alleen|plass|plassen|stien|svingen|bakken|"
    r"tunet|kroken|brygga|bryggen|torget|ringen|lia|jordet|åsen|haugen|vollen|myra|moen|stranda"
)
# "storgata 5", "kongens gate 12 b", "fjordveien 3, 9990 båtsfjord", in any case.
_ADDRESS = re.compile(
    rf"\b(?:[^\W\d_]+s\s+(?:gate|vei|veg|plass|allé)|[^\W\d_]*(?:{_STREET_WORDS}))\s+\d{{1,4}}(?:\s?[a-zA-Z]\b)?"
    r"(?:,?\s*\d{4}(?:\s+[^\W\d_]+)?)?",
    re.IGNORECASE,
)
# Special categories (GDPR art. 9): health details and the like. The word that follows
# "sykmeldt for", "diagnosen" etc. is masked, and well-known diagnoses wherever they stand.
_NOT_A_DIAGNOSIS = (
    r"(?!(?:en|et|ei|noen|to|tre|fire|fem|seks|uke\w*|veke\w*|dag\w*|måned\w*|week\w*|day\w*|a|an|the|og|er|"
    r"i|på|som|at|and|is|was|det|den|hele|lenge|siden|fordi|because|nå|now|å|ta|få)\b)"
)
_HEALTH_AFTER = re.compile(
    r"\b((?:sykmeld\w*|sjukmeld\w*|sick leave|lider|suffers?)\s+"
    r"(?:for|med|av|pga\.?|på grunn av|with|from)\s+"
    r"|(?:diagnos\w*|diagnosed)\s+(?:med\s+|på\s+|with\s+|er\s+|is\s+)?)"
    + _NOT_A_DIAGNOSIS
    + r"([^\W\d_]+)",
    re.IGNORECASE,
)
_HEALTH_TERMS = re.compile(
    r"\b(?:depresjon\w*|deprimert|depression|depressed|angstlidelse\w*|panikkangst|kreft\w*|cancer|diabetes|"
    r"gravid\w*|graviditet\w*|pregnan\w+|abort\w*|hiv|aids|rusproblem\w*|rusmisbruk\w*|alkoholi\w+|psykose\w*|"
    r"bipolar\w*|adhd|autis\w+|epilepsi\w*|demens\w*|dementia|utbrent\w*|burnout|selvmord\w*|suicid\w*|"
    r"spiseforstyrr\w+|anoreksi\w*|bulimi\w*|schizofren\w*|ptsd|kjemoterapi|cellegift|hjerteinfarkt\w*|"
    r"ms-syk\w*|kols|long covid|senskade\w*)\b",
    re.IGNORECASE,
)
_SENSITIVE_TERMS = re.compile(
    r"\b(?:homofil\w*|lesbisk\w*|bifil\w*|transkjønn\w*|transperson\w*|gay|lesbian|bisexual|transgender)\b",
    re.IGNORECASE,
)

MASKS = {
    "user": "[bruker]",
    "channel": "[kanal]",
    "link": "[lenke]",
    "email": "[e-post]",
    "phone": "[telefon]",
    "fnr": "[fødselsnummer]",
    "name": "[navn]",
    "plate": "[bilnummer]",
    "address": "[adresse]",
    "health": "[helse]",
    "sensitive": "[sensitivt]",
}

# A word, possibly hyphenated (Anne-Lise) or with an apostrophe (O'Brien); Sami letters included.
_WORD = re.compile(r"[^\W\d_]+(?:[-'][^\W\d_]+)*")
_SAMI_LETTERS = re.compile(r"[áčđŋšŧžÁČĐŊŠŦŽ]")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;]\s*|\n\s*|[\"«(]\s*)$")
# Capitalised words people write in questions that are not names: products, places of work,
# days and months (capitalised by English writers), abbreviations read as words.
NOT_NAMES = frozenset(
    """
    teams outlook windows office word excel powerpoint onedrive sharepoint iphone ipad android mac
    microsoft google apple zoom visma acos gerica elements vpn wifi chrome edge safari firefox
    jeg kan hva hvem hvor hvordan hvorfor når er må skal vil har og men eller i på til
    monday tuesday wednesday thursday friday saturday sunday january february march april may june
    july august september october november december norge norway norsk norwegian english engelsk
    kommunen kommune kommunestyret ordfører rådhuset nav hei hallo takk ok okei
    """.split()
)
# Names that are also everyday Norwegian or English words (checked against the Norwegian and
# English word lists): masked only where they read as names.
NAME_WORDS = frozenset(
    """
    my dag said may ville hans sine love del line liv per lage else bill mark august lykke finn bo gun
    tom juni rose rosa bror frank dick stein max maks urban odd lo viking tone junior tore tor rune siv
    edit stig li gro owe ken kai bent nova lone saga sten iris ane iver signe vera mina vilde vår sol mai
    will grant hope joy faith amber summer april june art guy pat sunny victor rask storm
    nord green wall hall lie flink bakken hagen frisk berg skog strid bakke eide haug strand palm lund
    haugen dam berge lunde modig stark moe moen brekke borg tangen hjelm lien hauge hjort vik ravn gren
    falk engen kvist blom tveit malm asp alm linde toft fors kling frid skov lilja ferm anti sara siri
    """.split()
)
# North Sami given names and surnames common in Finnmark (those without Sami letters: a word
# with á, č, đ, ŋ, š, ŧ or ž is taken for a name anyway).
SAMI_NAMES = frozenset(
    """
    niillas nilla elle jovnna heaika inger risten ristin mihkkal ailo aslak ante anne biret inga
    gaup eira hætta buljo somby utsi turi balto bongo oskal logje mienna magga nango triumf skum sara
    siri gaino partapuoli smuk nilut persen
    """.split()
)
# Words after which an ambiguous name reads as a name: "kollegaen min Dag", "hun heter May".
_CUES = frozenset(
    """
    kollega kollegaen kollegaer kollegaene kollegane sjef sjefen leder lederen leiar leiaren nabo naboen
    venn vennen venninne venninna venninnen heter heiter kalt navnet namnet mor far bror søster
    colleague colleagues boss manager named called friend neighbour mr mrs ms fru herr
    """.split()
)
_SKIP_AFTER_CUE = frozenset("min mi mitt mine vår vårt våre my our".split())
_FAKER_LOCALES = ("no_NO", "sv_SE", "da_DK", "fi_FI")


@cache
def name_lists() -> tuple[frozenset[str], frozenset[str]]:
    """Lower-cased (first names, surnames) from Faker's Nordic locales and the Sami list."""
    first: set[str] = set()
    last: set[str] = set()
    for locale in _FAKER_LOCALES:
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        first |= {n.lower() for n in _names(provider, "first_names")}
        last |= {n.lower() for n in _names(provider, "last_names")}
    first |= SAMI_NAMES
    last |= SAMI_NAMES
    return frozenset(n for n in first if len(n) >= 2), frozenset(n for n in last if len(n) >= 2)


def _names(provider: type, attribute: str) -> list[str]:
    value = getattr(provider, attribute, ())
    return list(value.keys() if isinstance(value, dict) else value)


class Masker:
    """Replaces personal data in free text with placeholders such as ``[e-post]``.

    Masks Slack mentions, channel links and ids, URLs, e-mail addresses (also written as
    ``ola (at) gmail.com``), @handles, fødselsnummer (11 digits), phone numbers (8 or more
    digits, with or without +47 and separators), licence plates, street addresses, well-known
    diagnoses and what follows "sykmeldt for" or "diagnosen", and names: the contacts' names in
    any case (whole and each part), names from the name lists in any case (lower-case, ALL CAPS),
    words with Sami letters, and any other capitalised word inside a sentence that is neither
    in `known_words` (the knowledge base's own vocabulary) nor in `NOT_NAMES`. A word that starts
    a sentence is masked only if it is a known name or a name follows ("Kari Nordvik sa ..."),
    since "Printeren", "Hei" and "Kan" start sentences too. Masking too much is the safe side: a
    masked word costs a report a little detail, an unmasked name is personal data kept for weeks.
    """

    def __init__(self, names: Iterable[str] = (), known_words: Iterable[str] = ()):
        names = [n for n in names if n.strip()]
        self._full_names = _alternation(sorted(names, key=len, reverse=True), re.IGNORECASE)
        self._contact_parts = frozenset(p.lower() for n in names for p in n.split() if len(p) >= 3)
        self._known = frozenset(w.lower() for w in known_words) | NOT_NAMES
        self._first, self._last = name_lists()

    def mask(self, text: str) -> str:
        # Cheap tests first: most questions have no digits, no '@' and no '<', and skip those patterns.
        if "<" in text:
            text = _SLACK_USER.sub(MASKS["user"], text)
            text = _SLACK_CHANNEL.sub(MASKS["channel"], text)
            text = _SLACK_LINK.sub(MASKS["link"], text)
        if "@" in text:
            text = _EMAIL.sub(MASKS["email"], text)
        lower = text.lower()
        if any(mark in lower for mark in _AT_MARKS):
            text = _OBFUSCATED_EMAIL.sub(MASKS["email"], text)
        if "www." in lower or "://" in text:
            text = _URL.sub(MASKS["link"], text)
        if "@" in text:
            text = _HANDLE.sub(MASKS["user"], text)
        if any(c.isdigit() for c in text):
            text = _NUMBER.sub(_number_mask, text)
            text = _PLATE.sub(_plate_mask, text)
            text = _ADDRESS.sub(MASKS["address"], text)
        text = _BARE_ID.sub(MASKS["user"], text)
        text = _HEALTH_AFTER.sub(lambda m: m.group(1) + MASKS["health"], text)
        text = _HEALTH_TERMS.sub(MASKS["health"], text)
        text = _SENSITIVE_TERMS.sub(MASKS["sensitive"], text)
        if self._full_names is not None:
            text = self._full_names.sub(MASKS["name"], text)
        return self._mask_names(text)

    def _mask_names(self, text: str) -> str:
        words = [m for m in _WORD.finditer(text) if not _is_placeholder(text, m)]
        kinds = [self._kind(text, m) for m in words]
        masked = [kind == "name" for kind in kinds]
        # Context decides the rest: a name beside a name, or after a cue word.
        for _ in range(2):
            for i, match in enumerate(words):
                if masked[i] or kinds[i] == "word":
                    continue
                before = _neighbour(text, words, i, -1)
                after = _neighbour(text, words, i, 1)
                beside_name = (before is not None and masked[before]) or (after is not None and masked[after])
                beside_name = beside_name or _placeholder_beside(text, match)
                after_name = before is not None and masked[before]
                masked[i] = {
                    "maybe": beside_name or self._after_cue(text, words, i),
                    "capitalised": beside_name,
                    # ALL CAPS: a surname after a name; a first name before one unless all is shouted
                    "shouted": after_name or (beside_name and not text.isupper()),
                }[kinds[i]]
        out, last = [], 0
        for match, hide in zip(words, masked, strict=True):
            if hide:
                out += [text[last : match.start()], MASKS["name"]]
                last = match.end()
        out.append(text[last:])
        return "".join(out)

    def _kind(self, text: str, match: re.Match[str]) -> str:
        """'name' (mask), 'maybe' (a name that is also a word: mask in a name's company),
        'capitalised' (an unknown capitalised word starting a sentence: mask beside a name),
        'shouted' (an unknown ALL-CAPS word: mask after a name) or 'word' (keep)."""
        word = match.group()
        lower = word.lower()
        parts = lower.split("-")
        title = word[:1].isupper() and not (len(word) > 1 and word.isupper())
        shouted = len(word) > 1 and word.isupper()
        known = lower in self._known
        listed = lower in NAME_WORDS or any(
            p in self._first or p in self._last or p in self._contact_parts for p in parts
        )
        ambiguous = known or lower in NAME_WORDS
        starts = _SENTENCE_START.search(text[: match.start()]) is not None
        if _SAMI_LETTERS.search(word) and not known:
            return "name"
        if listed and not ambiguous:
            return "name"
        if (title or shouted) and lower in self._contact_parts:
            return "name"  # someone in contacts: "Per sa ..." (a lower-case "per" needs context)
        if listed:  # Dag, May, Per: a name inside a sentence when capitalised, else by context
            return "name" if title and not starts and lower not in NOT_NAMES else "maybe"
        if title and not known:
            if "-" in word and all(p[:1].isupper() for p in word.split("-")):
                return "name"  # "Anne-Lise" is a name wherever it stands
            return "capitalised" if starts else "name"
        if shouted and not known and len(word) >= 3:
            return "shouted"  # KARI SKOGLUND: the surname after a known first name
        return "word"

    def _after_cue(self, text: str, words: list[re.Match[str]], i: int) -> bool:
        j = _neighbour(text, words, i, -1)
        if j is not None and words[j].group().lower() in _SKIP_AFTER_CUE:
            j = _neighbour(text, words, j, -1)
        return j is not None and words[j].group().lower() in _CUES


def _neighbour(text: str, words: list[re.Match[str]], i: int, step: int) -> int | None:
    """The index of the word next to word i if only spaces (or a comma-free gap) lie between."""
    j = i + step
    if not 0 <= j < len(words):
        return None
    left, right = (words[j], words[i]) if step < 0 else (words[i], words[j])
    return j if text[left.end() : right.start()].strip(" \t") == "" else None


def _is_placeholder(text: str, match: re.Match[str]) -> bool:
    return text[match.start() - 1 : match.start()] == "[" and text[match.end() : match.end() + 1] == "]"


def _placeholder_beside(text: str, match: re.Match[str]) -> bool:
    name = MASKS["name"]
    before = text[: match.start()].rstrip(" \t")
    after = text[match.end() :].lstrip(" \t")
    return before.endswith(name) or after.startswith(name)


def _alternation(words: list[str], flags: int) -> re.Pattern[str] | None:
    if not words:
        return None
    return re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b", flags)


def _number_mask(match: re.Match[str]) -> str:
    if _CASE_NUMBER.fullmatch(match.group()):
        return match.group()  # "sak 2024/1234": a case number, not a phone number
    digits = sum(c.isdigit() for c in match.group())
    plain = not match.group().startswith(("+", "00", "("))
    return MASKS["fnr"] if digits == 11 and plain else MASKS["phone"]


def _plate_mask(match: re.Match[str]) -> str:
    letters, digits = match.group(1), match.group(2)
    if letters.lower() in _NOT_PLATE_PREFIXES or (len(digits) == 4 and not letters.isupper()):
        return match.group()  # "nr 12345", "ca 1000": not a plate
    return MASKS["plate"]


def notice(retention_days: int, language: str = "nb", it_contact: str = "IT") -> str:
    """What guidebot logs, why, for how long, and who to ask: for help texts and App Home."""
    if language == "en":
        return (
            "*What guidebot logs:* your question with personal data masked (names, e-mail "
            "addresses, phone numbers, national id numbers, addresses, licence plates, links and "
            "mentions removed), the answer given, and counts per week by role and department. "
            "*Not* who you are: no user id, name, channel or time of day is stored with the "
            "question. *Please do not write* health details or other sensitive matters about "
            "yourself or others (masking catches the obvious ones, not all). *Why:* so leaders "
            "can see which questions come up often, in aggregate, and improve the guidelines and "
            f"answers. *How long:* the question text is deleted after at most {retention_days} days; "
            f"only counts per section and week are kept. Questions about this: {it_contact}."
        )
    return (
        "*Hva guidebot logger:* spørsmålet ditt med personopplysninger fjernet (navn, "
        "e-postadresser, telefonnummer, fødselsnummer, adresser, bilnummer, lenker og omtaler "
        "maskeres), svaret du fikk, og antall spørsmål per uke etter rolle og avdeling. *Ikke* "
        "hvem du er: ingen bruker-id, navn, kanal eller klokkeslett lagres sammen med spørsmålet. "
        "*Ikke skriv* helseopplysninger eller andre sensitive forhold om deg selv eller andre "
        "(maskeringen tar de åpenbare, ikke alle). *Hvorfor:* så ledere kan se hvilke spørsmål "
        "som går igjen, bare samlet, og forbedre retningslinjene og svarene. *Hvor lenge:* teksten "
        f"slettes etter høyst {retention_days} dager; bare antall per punkt og uke beholdes. "
        f"Spørsmål om dette: {it_contact}."
    )
