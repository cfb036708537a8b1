"""Sections of real guidelines imported through `guidebot import` alone (issue 9): Kinn's
numbered headings that skip a number with unnumbered sub-headings between them, Stord's
unnumbered headings (one repeated under two parts) and Båtsfjord's numbered outline; and one
small text for each rule the importer follows."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.answers import cite
from bot.knowledge import load_knowledge
from bot.knowledge.importing import from_text
from bot.knowledge.sourcetext import normalise_for_compare
from tests.conftest import KNOWLEDGE, ROOT
from tests.guideline_files import SEED

GUIDELINES = ROOT / "tests" / "eval" / "guidelines"
KINN = GUIDELINES / "kinn-mobiltelefon.txt"
STORD = GUIDELINES / "stord-informasjonstryggleikshandbok.txt"

KINN_SECTIONS = [
    ("Retningsliner for bruk og kjøp mobiltelefon", "Retningsliner for bruk og kjøp mobiltelefon"),
    ("1", "Ordningar for dekking av mobilbruk i Kinn"),
    ("1 › Kven kan tildele kommunal mobiltelefon", "Kven kan tildele kommunal mobiltelefon"),
    ("1 › Kven kan få kommunal mobiltelefon (i og utafor arbeidstid)",
     "Kven kan få kommunal mobiltelefon (i og utafor arbeidstid)"),
    ("1 › Kva dekker kommunen?", "Kva dekker kommunen?"),
    ("3", "Rapportar og oppfølging"),
    ("4", "Diverse"),
    ("4 › Permisjonar og pensjonering", "Permisjonar og pensjonering"),
    ("4 › Høve til å nytte kommunal telefon kun i arbeidstida", "Høve til å nytte kommunal telefon kun i arbeidstida"),
    ("4 › Trådlaust nett i kommunale bygg", "Trådlaust nett i kommunale bygg"),
    ("5", "Mobil sikkerheit - gjeld for alle tilsette i Kinn kommune"),
    ("5 › Mobiltelefon i bil", "Mobiltelefon i bil"),
    ("6", "Mobilskatt"),
    ("6 › Brukarrettleiing", "Brukarrettleiing"),
]
STORD_SECTIONS = [
    "Informasjonstryggleikshandbok", "Formål", "Organisering og ansvar", "Roller", "Kommunedirektøren",
    "Tryggleiksansvarleg", "Personvernombod", "Tryggleiksforum", "IKT leiar", "Informasjonstryggleik for tilsette",
    "Informasjonstryggleik for tilsette › Tilgong og brukarkontroll", "Lagring og handsaming av data",
    "Informasjonstryggleik for leiarar", "Informasjonstryggleik for leiarar › Tilgong og brukarkontroll",
    "Sensitive opplysingar", "Bruk og kjøpa av IKT utstyr og programvare/lisensar", "Opplæring av tilsette",
    "Når tilsett sluttar", "Internkontroll", "Avviksbehandling",
]
BATSFJORD_SECTIONS = ["1", "2", "3", "4", "4.1", "4.2", "4.3", "4.4", "5", "5.1", "5.2", "Avslutning"]


def imported(folder: Path, guideline: Path, document: str) -> dict:
    """The knowledge file `guidebot import` writes for `guideline`, run as a real subprocess."""
    knowledge = folder / document
    (knowledge / "documents").mkdir(parents=True)
    (knowledge / "sources").mkdir()
    for kept in ("contacts.yaml", "settings.yaml"):
        shutil.copy(KNOWLEDGE / kept, knowledge / kept)
    done = subprocess.run(
        [sys.executable, "-m", "bot", "--knowledge", str(knowledge), "import", str(guideline), "--document", document],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "guidebot check: 0 feil" in done.stdout + done.stderr, done.stdout + done.stderr
    return yaml.safe_load((knowledge / "documents" / f"{document}.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def real(tmp_path_factory) -> dict[str, dict]:
    folder = tmp_path_factory.mktemp("real")
    return {name: imported(folder, path, name) for name, path in
            [("kinn", KINN), ("stord", STORD), ("batsfjord", SEED)]}


_MARKER = re.compile(r"^\s*(?:\d+(?:\.\d+)*[.)]?|•|-)\s+")


def _alone(lines: list[str], i: int) -> bool:
    """A line of at most twelve words with blank lines around it, no bullet, no sentence end."""
    words = lines[i].split()
    return (
        (i == 0 or not lines[i - 1].strip()) and (i + 1 == len(lines) or not lines[i + 1].strip())
        and 0 < len(words) <= 12 and not lines[i].rstrip().endswith((".", ":", "!", ";", ","))
        and words[0] not in ("•", "-")
    )


def heading_lines(text: str) -> list[str]:
    """Headings as a reader sees them, found without the importer; a number before one is cut."""
    lines = text.splitlines()
    return [_MARKER.sub("", lines[i].strip()) for i in range(len(lines)) if _alone(lines, i)]


def list_lines(text: str) -> list[str]:
    """Bullets and numbered lines that are no heading: "2. Tryggleiksansvarleg" in a list of roles."""
    lines = text.splitlines()
    return [_MARKER.sub("", lines[i].strip()) for i in range(len(lines)) if _MARKER.match(lines[i]) and not _alone(lines, i)]


def _compact(text: str) -> str:
    return normalise_for_compare(text).casefold()


@pytest.mark.parametrize("name, path", [("kinn", KINN), ("stord", STORD), ("batsfjord", SEED)])
def test_no_heading_of_a_real_guideline_becomes_a_quote(real, name, path):
    data = real[name]
    text = path.read_text(encoding="utf-8")
    headings = heading_lines(text)
    assert len(headings) >= {"kinn": 14, "stord": 20, "batsfjord": 1}[name]
    titles = {_compact(s["title"]) for s in data["sections"]}
    quotes = [_compact(e["quote"]) for e in data["entries"]]
    listed = [_compact(line) for line in list_lines(text)]
    for heading in map(_compact, headings):
        assert heading in titles, heading
        # A quote may equal a heading only where a list line says the same (Stord's roles).
        assert quotes.count(heading) <= listed.count(heading), heading


def test_kinn_numbered_headings_are_sections_and_their_sub_headings_nest_under_them(real):
    data = real["kinn"]
    assert [(s["number"], s["title"]) for s in data["sections"]] == KINN_SECTIONS
    section_of = {e["quote"]: e["section"] for e in data["entries"]}
    assert section_of["Kommunedirektøren, kommunalsjefar og tenesteleiarar."] == "1 › Kven kan tildele kommunal mobiltelefon"
    assert section_of["Mobilkostnader følgast opp av tenesteleiar."] == "3"
    # The security rules are section 5's, not the wireless network's; the tax rules are 6's.
    assert section_of["Det er ikkje tillatt å fjerne SIM PIN-kode"] == "5"
    assert section_of["Den tilsette må dokumentere at punkta over er gjennomført."] == "5"
    assert section_of["Kinn kommune dekker kun kostnader med handfri installasjon i tenestebil."] == "5 › Mobiltelefon i bil"
    assert section_of["Det blir inga avrekning i forhold til faktisk forbruk ved årsavslutninga."] == "6"
    assert section_of["Denne er tilgjengeleg i Compilo."] == "6 › Brukarrettleiing"
    assert len(data["entries"]) == 39


def test_stord_and_batsfjord_keep_their_sections(real):
    assert [s["number"] for s in real["stord"]["sections"]] == STORD_SECTIONS
    assert len(real["stord"]["entries"]) == 85
    assert [s["number"] for s in real["batsfjord"]["sections"]] == BATSFJORD_SECTIONS
    assert len(real["batsfjord"]["entries"]) == 61


def test_a_citation_names_a_sub_heading_once(tmp_path):
    folder = tmp_path / "kunnskap"
    imported(tmp_path, KINN, "kinn")
    shutil.move(str(tmp_path / "kinn"), folder)
    document = load_knowledge(folder).document("kinn")
    by_quote = {e.quote: e for e in document.entries}
    car = by_quote["Kinn kommune dekker kun kostnader med handfri installasjon i tenestebil."]
    assert cite(document, car) == "Kinn, punkt 5 › Mobiltelefon i bil"
    pin = by_quote["Det er ikkje tillatt å fjerne SIM PIN-kode"]
    assert cite(document, pin) == "Kinn, punkt 5 Mobil sikkerheit - gjeld for alle tilsette i Kinn kommune"


# --- one small text per rule ---------------------------------------------------------------------

def sections(text: str) -> dict[str, list[str]]:
    found = {s.number: [d.quote for d in s.drafts] for s in from_text(text).outline.sections}
    # Whatever the rules decide, every quote stands word for word in the text.
    source = normalise_for_compare(text)
    for quote in (q for quotes in found.values() for q in quotes):
        assert normalise_for_compare(quote) in source, quote
    return found


def test_a_numbered_title_standing_alone_is_a_section_where_the_numbering_skips():
    text = "1. Formål\n\nRegelen gjeld alle.\n\n3. Ansvar\n\nLeiar har ansvaret.\n\n4) Brot\n\nBrot vert meldt.\n"
    assert sections(text) == {"1": ["Regelen gjeld alle."], "3": ["Leiar har ansvaret."], "4": ["Brot vert meldt."]}


def test_a_partial_text_may_start_at_a_later_number_under_its_title():
    text = "Retningsliner for mobiltelefon\n\n3. Rapportar\n\nLeiar følgjer opp.\n\n4. Diverse\n\nTelefonen er kommunen sin.\n"
    assert sections(text) == {
        "Retningsliner for mobiltelefon": [], "3": ["Leiar følgjer opp."], "4": ["Telefonen er kommunen sin."]
    }


def test_a_numbered_title_after_an_unnumbered_sub_heading_is_the_next_section():
    text = (
        "1. Ordningar\n\nKven kan få telefon\n\nAlle leiarar.\n\nKva dekker kommunen?\n\n"
        " • Telefonen er kommunen sin.\n\n2. Diverse\n\nPermisjon\n\nTelefonen kan nyttast i permisjon.\n"
    )
    assert sections(text) == {
        "1": [],
        "1 › Kven kan få telefon": ["Alle leiarar."],
        "1 › Kva dekker kommunen?": ["Telefonen er kommunen sin."],
        "2": [],
        "2 › Permisjon": ["Telefonen kan nyttast i permisjon."],
    }


def test_a_sub_numbered_title_standing_alone_moves_on_too():
    text = "1 Formål\n\nRegelen gjeld alle.\n\n2.3 Passord\n\nPassordet skal haldast hemmeleg.\n"
    assert list(sections(text)) == ["1", "2.3"]


def test_numbered_rules_inside_a_section_stay_rules():
    text = (
        "4. Diverse\n\nRegelen gjeld alle.\n\n5. Mobil sikkerheit\n\n"
        "1. Passord skal ha minst 12 teikn.\n\n2. Lås skjermen når du går frå plassen.\n\n"
        "7. Du skal aldri dele passordet ditt med nokon.\n"
    )
    assert sections(text) == {
        "4": ["Regelen gjeld alle."],
        "5": ["Passord skal ha minst 12 teikn.", "Lås skjermen når du går frå plassen.",
              "Du skal aldri dele passordet ditt med nokon."],
    }


def test_short_numbered_items_with_blank_lines_between_stay_a_list():
    text = "1. Formål\n\nRegelen gjeld alle.\n\n2. Roller\n\n1. Rådmann\n\n2. Leiar\n\n3. Tilsett\n"
    assert sections(text) == {"1": ["Regelen gjeld alle."], "2": ["Rådmann", "Leiar", "Tilsett"]}


def test_a_number_far_ahead_or_behind_is_no_section():
    # "12." after section 1 skips too much to be the next section; "1." after 3 restarts a list.
    text = "1. Formål\n\nRegelen gjeld alle.\n\n12. Vedlegg\n\nSjå vedlegget.\n\n3. Ansvar\n\n1. Leiar\n\nLeiar svarar.\n"
    found = sections(text)
    assert [n for n in found if n[:1].isdigit()] == ["1", "3"]
    assert "Vedlegg" in found["1"] and "Leiar" in found["3"]


def test_a_long_numbered_line_standing_alone_is_a_rule_not_a_heading():
    text = (
        "1. Formål\n\nRegelen gjeld alle.\n\n"
        "3. Alle tilsette som nyttar kommunal telefon må melde tap til leiaren sin same dag utan unntak\n\n"
        "Leiaren sperrar kortet.\n"
    )
    found = sections(text)
    assert [n for n in found if n[:1].isdigit()] == ["1"]
    assert found["1"][-1].startswith("Alle tilsette som nyttar kommunal telefon")


def test_a_text_without_blank_lines_keeps_its_skipping_numbered_titles_as_sections():
    # One paragraph per line, no blank lines (web pages, many PDF extractions): a short title
    # whose number moves on is a section though nothing stands "alone"; numbered rules stay rules.
    text = (
        "Personvernerklæring\n2 Personvernforordningen (GDPR)\nGDPR er EUs forordning.\n"
        "4 Hva er det rettslige grunnlaget?\nVi behandler opplysninger.\n• Arkivloven gjelder.\n"
        "6 Hvilke opplysninger behandler vi?\n1 Navn og adresse.\n2 Fødselsnummer.\n"
    )
    assert sections(text) == {
        "Personvernerklæring": [],
        "2": ["GDPR er EUs forordning."],
        "4": ["Vi behandler opplysninger.", "Arkivloven gjelder."],
        "6": ["Navn og adresse.", "Fødselsnummer."],
    }


def test_without_blank_lines_a_wrapped_line_or_a_short_list_is_no_section():
    # "4 Sikkerhet" continues a wrapped sentence (the next title, 2, does not go on from 4);
    # title-shaped items under a lead-in stay a list; one blank line after the title changes nothing.
    wrapped = (
        "Reglement\n1 Formål\nReglene gjelder alle ansatte som beskrevet i avsnitt\n4 Sikkerhet\nDet er viktig.\n"
        "2 Ansvar\nLeder har ansvaret.\n"
    )
    assert [n for n in sections(wrapped) if n[:1].isdigit()] == ["1", "2"]
    assert sections(wrapped)["2"] == ["Leder har ansvaret."]
    listed = "Regler\n1 Formål\nRegelen gjelder alle.\n2 Bruk\nDu skal:\n1 Ikke dele passord\n2 Låse skjermen\n"
    assert [n for n in sections(listed) if n[:1].isdigit()] == ["1", "2"]
    assert sections(listed)["2"][1:] == ["Ikke dele passord", "Låse skjermen"]
    spaced_title = "Personvernerklæring\n\n2 Personvernforordningen (GDPR)\nGDPR er EUs forordning.\n4 Hva er det?\nVi behandler.\n"
    assert sections(spaced_title) == {"Personvernerklæring": [], "2": ["GDPR er EUs forordning."], "4": ["Vi behandler."]}


# --- web pages copied as text (Drammen's language profile: a summary list, then a page per item) --

WEB_PAGES = (
    "Fem prinsipper\n\n1. Skriv det viktigste først\n\nBegynn med det viktigste.\n\n"
    "2. Gjør det lett å finne fram\n\nBruk overskrifter.\n\n3. Skriv kort. Bruk punktum.\n\nKort er godt.\n\n\n"
    "2. Gjør det lett å finne fram\n\nBruk overskrifter.\n\nBruk mellomoverskrifter\n\nAlle tekster bør ha dem.\n\n"
    "Ikke skriv Skriv heller\nKlageadgang Du har rett til å klage\nVedr. behov for informasjon Send bilde av førerkortet\n\n"
    "Eksempel\n\nArrangementer som kan flagge:\n\n• kulturarrangementer\n• festivaler\n\n\n"
    "Sjekk teksten din\n\nSkriv det viktigste først\n\n• Tenk gjennom hvorfor du skriver.\n\n"
    "Slik skriver vi korrekt\n\nStillingstitler skrives med liten forbokstav:\n\n"
    "Eksempel\n\nKlart språk i Drammen\nFremtidens helsetjenester\nLevekårsundersøkelsen 2023\n"
)


def test_a_numbered_title_repeated_further_on_takes_its_section_up_again():
    found = from_text(WEB_PAGES).outline
    names = [s.number for s in found.sections]
    assert names[:4] == ["Fem prinsipper", "1", "2", "3"]
    assert "2 (2)" not in names
    # What the page for principle 2 says is section 2's, its sub-heading nests under 2, and the
    # sentence the summary already gave is quoted once (and said so, not dropped silently).
    two = next(s for s in found.sections if s.number == "2")
    assert [d.quote for d in two.drafts] == ["Bruk overskrifter."]
    assert "2 › Bruk mellomoverskrifter" in names
    assert any(why == "står allerede i punktet" and text == "Bruk overskrifter." for _, text, why in found.left_out)


def test_a_short_numbered_line_right_after_the_headings_before_it_is_the_next_section():
    # "3. Skriv kort. Bruk punktum." reads as two sentences, but it stands alone numbered right after 2.
    assert sections(WEB_PAGES)["3"] == ["Kort er godt."]
    # Not where the number skips or the line is long (numbered rules stay rules).
    assert "5" not in sections("1. Formål\n\nRegelen gjeld alle.\n\n5. Logg av. Lås skjermen.\n\nSå enkelt.\n")
    long_rule = "1. Formål\n\nRegelen gjeld alle.\n\n2. Logg av maskina di kvar dag før du går heim. Lås døra.\n\nSå enkelt.\n"
    assert "2" not in sections(long_rule) and "Logg av maskina di kvar dag før du går heim. Lås døra." in sections(long_rule)["1"]


def test_short_lines_standing_together_are_a_table_quoted_whole_not_headings():
    found = sections(WEB_PAGES)
    assert not any(name.endswith(("Ikke skriv Skriv heller", "Klageadgang Du har rett til å klage")) for name in found)
    assert found["2 › Bruk mellomoverskrifter"][:2] == [
        "Alle tekster bør ha dem.",
        "Ikke skriv Skriv heller Klageadgang Du har rett til å klage Vedr. behov for informasjon Send bilde av førerkortet",
    ]
    # A lead-in is quoted with the table under it, as with a list; an "Eksempel" label goes with its example.
    assert found["Slik skriver vi korrekt"] == [
        "Stillingstitler skrives med liten forbokstav: Eksempel Klart språk i Drammen Fremtidens helsetjenester"
        " Levekårsundersøkelsen 2023",
        "Eksempel Klart språk i Drammen Fremtidens helsetjenester Levekårsundersøkelsen 2023",
    ]
    assert not any(name.split(" › ")[-1] == "Eksempel" for name in found)
    # A text with no blank lines between its paragraphs has no tables: its lines are paragraphs.
    packed = "Regler\nBruk av telefon\nTelefonen er kommunen sin.\nLeiar følgjer opp.\n"
    assert sections(packed) == {"Regler": [], "Bruk av telefon": ["Telefonen er kommunen sin.", "Leiar følgjer opp."]}


def test_a_part_with_sub_headings_of_its_own_does_not_nest_under_the_numbered_section_above():
    names = list(sections(WEB_PAGES))
    assert "Sjekk teksten din" in names and "Skriv det viktigste først" in names
    assert "Slik skriver vi korrekt" in names
    assert not any(name.startswith("2 › Sjekk") or name.startswith("2 › Slik") for name in names)


DRAMMEN = GUIDELINES / "drammen-klarsprak.txt"


def test_drammen_web_pages_import_as_five_principles_with_no_table_row_for_a_title(tmp_path):
    data = imported(tmp_path, DRAMMEN, "drammen")
    numbers = [s["number"] for s in data["sections"]]
    titles = [s["title"] for s in data["sections"]]
    assert [n for n in numbers if n.isdigit()] == ["1", "2", "3", "4", "5"]
    assert titles[numbers.index("5")] == "Skriv kort og konkret. Bruk punktum."
    assert "2 › Overskriften må fortelle leseren hva teksten handler om" in numbers
    assert not any(n.startswith("4 › ") for n in numbers)  # nothing after principle 4 hangs under it
    assert not any(t in titles for t in ("Eksempel", "Satser Hva må du betale?", "Drammen kommune"))
    # One of its four tables has whole sentences for rows: read as a title over its paragraph.
    assert titles.count("Ikke skriv Skriv heller") == 1
    section_of = {e["quote"]: e["section"] for e in data["entries"]}
    assert section_of["Alle tekster bør ha mellomoverskrifter."] == "2 › Viktig informasjon i mellomoverskrifter"
    assert section_of["Er du i tvil, er liten forbokstav oftest det riktige."] == "Stor og liten forbokstav"


def test_what_web_page_rules_leave_alone():
    # A label goes only with text or a table: before a bullet or a numbered heading it is what it was.
    bullets = sections("Regler\n\nFlagg:\n\nEksempel\n\n• kulturarrangementer\n• festivaler\n")
    assert "kulturarrangementer" in [q for quotes in bullets.values() for q in quotes]
    assert "Eksempel Skriv kort" not in [s.title for s in from_text("Eksempel\n\n2. Skriv kort\n\nKort.\n").outline.sections]
    # A heading over sentences on lines of their own is no table, spaced text or not.
    spaced = "Regler for telefon\n\nInnleiing her.\n\nBruk av telefon\nTelefonen er kommunen sin.\nLeiar følgjer opp.\n\nAnsvar\n\nLeiar har ansvar.\n"
    assert sections(spaced)["Bruk av telefon"] == ["Telefonen er kommunen sin.", "Leiar følgjer opp."]
    assert sections("Bruk av telefon\nTelefonen er kommunen sin.\nLeiar følgjer opp.\n") == {
        "Bruk av telefon": ["Telefonen er kommunen sin.", "Leiar følgjer opp."]}
    # A part numbered from 1 again has its own sections, though their titles repeat part A's.
    parts = sections("1. Innleiing\n\nTekst a1.\n\n2. Ansvar\n\nTekst a2.\n\nDel B\n\n1. Innleiing\n\nTekst b1.\n\n"
                     "2. Tilgang\n\nTekst b2.\n")
    assert parts["1"] == ["Tekst a1."] and "Tekst b1." in [q for n, quotes in parts.items() if n != "1" for q in quotes]
    # Sub-headings of sub-headings keep nesting under the numbered heading (no page break between).
    nested = sections("3. Rettar\n\nInnsyn\n\nKva du kan sjå\n\nDu kan sjå alt.\n\nRetting\n\nDu kan rette.\n")
    assert "3 › Kva du kan sjå" in nested and "3 › Retting" in nested
