"""`guidebot check` and `guidebot import` on the real guideline and on broken copies."""

from pathlib import Path

import yaml

from bot.knowledge.check import check_folder
from bot.knowledge.importing import skeleton
from bot.knowledge.sourcetext import normalise_for_compare, parse_guideline

SOURCE = Path(__file__).resolve().parent.parent / "knowledge" / "sources" / "batsfjord-sosiale-medier.txt"


def _document(folder: Path) -> Path:
    return folder / "documents" / "batsfjord-sosiale-medier.yaml"


def test_real_knowledge_passes_check():
    knowledge, problems = check_folder()
    assert problems == []
    assert len(knowledge.entries) >= 45


def test_quote_not_verbatim_is_reported_with_file_line_and_entry(knowledge_copy):
    path = _document(knowledge_copy)
    text = path.read_text(encoding="utf-8").replace(
        "quote: Publiser aldri bilder av kollegaer uten samtykke.",
        "quote: Publiser aldri bilder av kolleger uten samtykke.",
    )
    path.write_text(text, encoding="utf-8")
    _, problems = check_folder(knowledge_copy)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "id: bilder-av-kollegaer" in row)
    assert f"{path}:{line}: entry 'bilder-av-kollegaer': quote is not verbatim" in "\n".join(problems)
    # The sentence is now quoted by nobody, which check reports too.
    assert any("Publiser aldri bilder av kollegaer" in p and "no entry quotes" in p for p in problems)


def test_duplicate_id_phrasing_and_unknown_section_are_reported(knowledge_copy):
    path = _document(knowledge_copy)
    text = path.read_text(encoding="utf-8")
    text = text.replace("  - id: fotografen\n    section: \"4.4\"", "  - id: bilder-av-kollegaer\n    section: \"9.9\"")
    text = text.replace("      - kven gjeld retningslinjene for?", "      - kan jeg legge ut et bilde av kollegaen min?")
    path.write_text(text, encoding="utf-8")
    _, problems = check_folder(knowledge_copy)
    joined = "\n".join(problems)
    assert "id already used" in joined
    assert "section '9.9' is not in this document's sections" in joined
    assert "«kan jeg legge ut et bilde av kollegaen min?» is also on entry 'gjelder-for'" in joined


def test_parser_undoes_pdf_line_breaks():
    sections = parse_guideline(SOURCE.read_text(encoding="utf-8"))
    numbers = [s.number for s in sections]
    assert numbers == ["1", "2", "3", "4", "4.1", "4.2", "4.3", "4.4", "5", "5.1", "5.2", "Avslutning"]
    assert sections[8].title.endswith("ANSATT ELLER POLITIKER")
    assert sections[10].title.endswith("Båtsfjord kommune")
    units = [u for s in sections for u in s.units]
    assert "Ta kontakt med din leder eller IT-avdelingen." in units
    assert (
        "Ingen sosiale medier krever umiddelbare svar, men du bør følge opp så raskt som mulig – "
        "helst innen en arbeidsdag." in units
    )
    assert "Tvilstilfeller i forhold til retningslinjene tas opp med nærmeste leder." in sections[-1].units


def test_import_gives_a_skeleton_with_verbatim_quotes():
    text = SOURCE.read_text(encoding="utf-8")
    data = yaml.safe_load(skeleton(text, "sosiale-medier", "sources/x.txt"))
    assert data["document"]["id"] == "sosiale-medier"
    assert data["sections"][0] == {"number": "1", "title": "Omfang"}
    compact = normalise_for_compare(text)
    for entry in data["entries"]:
        assert normalise_for_compare(entry["quote"]) in compact
    assert len({e["id"] for e in data["entries"]}) == len(data["entries"])


def test_import_handles_text_without_sections():
    assert yaml.safe_load(skeleton("bare litt tekst\n", "x", "sources/x.txt"))["entries"] == []


def test_check_finds_synonyms_that_read_alike(knowledge_copy):
    from bot.knowledge.check import check_folder

    path = knowledge_copy / "synonyms.yaml"
    text = path.read_text(encoding="utf-8").rstrip("\n")
    path.write_text(text + "\n  - [vanske, fare]\n  - [sosial, bilete]\n", encoding="utf-8")
    _, problems = check_folder(knowledge_copy)
    lines = len(text.splitlines())
    assert problems == [
        f"{path}:{lines + 1}: synonym 'fare' reads as 'far', which is also how guidebot reads a common word it "
        "otherwise ignores; every such word would mean 'vanske'. Remove 'fare'",
        f"{path}:{lines + 2}: synonym 'bilete' reads as 'bilet', like 'bilete' in the group of 'bilde', which "
        "wins; remove one of them",
    ]
