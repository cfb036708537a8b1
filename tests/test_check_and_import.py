"""`guidebot check` on the real knowledge and on broken copies; the text reader on the seed."""

from pathlib import Path

import pytest
import yaml

from bot.answers import Guidebot
from bot.knowledge import KnowledgeError, load_knowledge
from bot.knowledge.check import examine_folder
from bot.knowledge.importing import skeleton
from bot.knowledge.sourcetext import normalise_for_compare, parse_guideline

SOURCE = Path(__file__).resolve().parent.parent / "knowledge" / "sources" / "batsfjord-sosiale-medier.txt"


def _document(folder: Path) -> Path:
    return folder / "documents" / "batsfjord-sosiale-medier.yaml"


def _line_of(text: str, needle: str) -> int:
    return next(i for i, row in enumerate(text.splitlines(), 1) if needle in row)


def test_real_knowledge_passes_check_without_advice():
    knowledge, found = examine_folder()
    assert (found.errors, found.waiting, found.advice) == ([], [], [])
    assert len(knowledge.entries) >= 45
    assert found.counts[0].share == 100


def test_quote_not_verbatim_is_an_error_and_the_bot_refuses_to_start(knowledge_copy):
    path = _document(knowledge_copy)
    text = path.read_text(encoding="utf-8").replace(
        "quote: Publiser aldri bilder av kollegaer uten samtykke.",
        "quote: Publiser aldri bilder av kolleger uten samtykke.",
    )
    path.write_text(text, encoding="utf-8")
    _, found = examine_folder(knowledge_copy)
    expected = f"{path}:{_line_of(text, 'id: bilder-av-kollegaer')}: oppføring 'bilder-av-kollegaer': sitatet står ikke ordrett"
    assert any(e.startswith(expected) for e in found.errors)
    # The sentence is now quoted by nobody: advice.
    assert any("Publiser aldri bilder av kollegaer" in a and "ingen oppføring siterer" in a for a in found.advice)
    with pytest.raises(KnowledgeError) as error:
        Guidebot.from_folder(knowledge_copy)
    assert any(p.startswith(expected) for p in error.value.problems)


def test_duplicate_id_and_unknown_section_are_errors_a_shared_phrasing_is_advice(knowledge_copy):
    path = _document(knowledge_copy)
    text = path.read_text(encoding="utf-8")
    text = text.replace("  - id: fotografen\n    section: \"4.4\"", "  - id: bilder-av-kollegaer\n    section: \"9.9\"")
    text = text.replace("      - kven gjeld retningslinjene for?", "      - kan jeg legge ut et bilde av kollegaen min?")
    # The same words, but for case and punctuation, as the matcher compares them.
    text = text.replace("      - what are these guidelines for?", "      - KAN JEG legge ut et bilde av kollegaen min")
    # Phrasings with no words at all are nothing the matcher could confuse.
    text = text.replace("      - what is the purpose of the social media guideline?", '      - "?"')
    text = text.replace("      - gjeld reglane for privat bruk òg?", '      - "?"')
    path.write_text(text, encoding="utf-8")
    _, found = examine_folder(knowledge_copy)
    errors, advice = "\n".join(found.errors), "\n".join(found.advice)
    assert "id-en er allerede brukt" in errors
    assert "punkt '9.9' står ikke under 'sections'" in errors
    assert "«kan jeg legge ut et bilde av kollegaen min?» står også på 'gjelder-for'" in advice
    assert "«KAN JEG legge ut et bilde av kollegaen min» står også på" in advice
    assert "«?»" not in advice


def test_entries_without_phrasings_are_advice_counted_per_document(knowledge_copy):
    path = _document(knowledge_copy)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for entry in data["entries"][:5]:
        entry.pop("questions", None)
        entry.pop("answer", None)  # the answer defaults to the quote
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    knowledge, found = examine_folder(knowledge_copy)
    assert found.errors == []
    total = len(data["entries"])
    assert found.advice == [
        f"{path}: 5 av {total} oppføringer har ingen spørsmål (questions) ennå ('gjelder-for', 'formaal', "
        "'jobb-og-privat' …); de finnes bare gjennom sitatet. Legg til måter folk spør på"
    ]
    assert (found.counts[0].entries, found.counts[0].with_phrasings) == (total, total - 5)
    entry = next(e for e in knowledge.entries if e.id == "gjelder-for")
    assert entry.answer == entry.quote


def test_parser_undoes_pdf_line_breaks():
    sections = parse_guideline(SOURCE.read_text(encoding="utf-8"))
    numbers = [s.number for s in sections]
    assert numbers == ["1", "2", "3", "4", "4.1", "4.2", "4.3", "4.4", "5", "5.1", "5.2", "Avslutning"]
    assert sections[8].title.endswith("ansatt eller politiker")
    assert sections[10].title.endswith("Båtsfjord kommune")
    units = [u for s in sections for u in s.units]
    assert "Ta kontakt med din leder eller IT-avdelingen." in units
    assert (
        "Ingen sosiale medier krever umiddelbare svar, men du bør følge opp så raskt som mulig – "
        "helst innen en arbeidsdag." in units
    )
    assert "Tvilstilfeller i forhold til retningslinjene tas opp med nærmeste leder." in sections[-1].units


def test_import_gives_a_knowledge_file_with_verbatim_quotes():
    text = SOURCE.read_text(encoding="utf-8")
    data = yaml.safe_load(skeleton(text, "sosiale-medier", "sources/x.txt"))
    assert data["document"]["id"] == "sosiale-medier"
    assert data["document"]["title"]  # required by check, so never left empty
    assert data["sections"][0] == {"number": "1", "title": "Omfang"}
    compact = normalise_for_compare(text)
    for entry in data["entries"]:
        assert normalise_for_compare(entry["quote"]) in compact
        assert "answer" not in entry  # the quote answers until an editor writes one
    assert len({e["id"] for e in data["entries"]}) == len(data["entries"])


def test_import_of_text_without_headings_keeps_it_in_an_opening_section():
    data = yaml.safe_load(skeleton("bare litt tekst.\n", "x", "sources/x.txt"))
    assert [(e["section"], e["quote"]) for e in data["entries"]] == [("Innledning", "bare litt tekst.")]


def test_check_finds_synonyms_that_read_alike(knowledge_copy):
    path = knowledge_copy / "synonyms.yaml"
    text = path.read_text(encoding="utf-8").rstrip("\n")
    path.write_text(text + "\n  - [vanske, fare]\n  - [sosial, bilete]\n", encoding="utf-8")
    _, found = examine_folder(knowledge_copy)
    lines = len(text.splitlines())
    assert found.errors == []
    assert found.advice == [
        f"{path}:{lines + 1}: synonymet 'fare' leses som 'far', som også er et vanlig ord guidebot ellers ser bort "
        "fra; alle slike ord ville bety 'vanske'. Fjern 'fare'",
        f"{path}:{lines + 2}: synonymet 'bilete' leses som 'bilet', akkurat som 'bilete' i gruppen til 'bilde', "
        "som vinner; fjern ett av dem",
    ]


def test_a_synonym_group_for_one_document_that_reads_another_differently_is_advice(knowledge_copy):
    (knowledge_copy / "sources" / "avvik.txt").write_text(
        "1. Melde avvik\nAlle avvik skal meldes i avvikssystemet samme dag.\n", encoding="utf-8"
    )
    (knowledge_copy / "documents" / "avvik.yaml").write_text(
        skeleton((knowledge_copy / "sources" / "avvik.txt").read_text("utf-8"), "avvik", "sources/avvik.txt"),
        encoding="utf-8",
    )
    path = knowledge_copy / "synonyms.yaml"
    text = path.read_text(encoding="utf-8").rstrip("\n")
    path.write_text(
        text + "\n  - {document: avvik, words: [avvik, brudd, hendelse]}\n  - {document: avvik, words: [avvikssystem, kvalitetssystem]}\n",
        encoding="utf-8",
    )
    knowledge, found = examine_folder(knowledge_copy)
    assert found.errors == []
    lines = len(text.splitlines())
    crossing = [a for a in found.advice if "endrer også hvordan spørsmål om 'sosiale-medier' leses" in a]
    assert len(crossing) == 1  # "brudd" is in Båtsfjord's closing words; "avvikssystem" is in no other document
    assert crossing[0].startswith(f"{path}:{lines + 1}: gruppen for 'avvik'") and "'brudd'" in crossing[0]
    assert knowledge.synonym_groups_for("sosiale-medier") == knowledge.synonym_groups_for("x")
    assert ["avvik", "brudd", "hendelse"] in knowledge.synonym_groups_for("avvik")
    assert ["avvik", "brudd", "hendelse"] not in knowledge.synonym_groups_for("sosiale-medier")


def test_a_synonym_group_for_an_unknown_document_is_advice(knowledge_copy):
    path = knowledge_copy / "synonyms.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "  - {document: finnes-ikke, words: [a1, b1]}\n", encoding="utf-8")
    _, found = examine_folder(knowledge_copy)
    assert any("'finnes-ikke', som ikke finnes" in a for a in found.advice)
    load_knowledge(knowledge_copy)  # advice never stops the bot
