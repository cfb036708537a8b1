"""Loading the knowledge files: the real ones load; broken ones give file:line errors."""

from pathlib import Path

import pytest

from bot.knowledge import KnowledgeError, load_knowledge
from bot.matching.matcher import Index, Thresholds

REQUIRED_SECTIONS = ["1", "2", "3", "4", "4.1", "4.2", "4.3", "4.4", "5", "5.1", "5.2"]


def test_real_knowledge_has_every_section_and_metadata():
    knowledge = load_knowledge()
    document = knowledge.document("sosiale-medier")
    assert [s.number for s in document.sections][: len(REQUIRED_SECTIONS)] == REQUIRED_SECTIONS
    assert document.adopted.isoformat() == "2012-01-26"
    assert document.revised.isoformat() == "2023-04-20"
    assert document.case_number == "2023/6"
    sections_with_entries = {e.section for e in document.entries}
    assert set(REQUIRED_SECTIONS) - {"4"} <= sections_with_entries
    assert {"ansatte", "politikere", "alle"} >= {e.audience for e in document.entries}


def test_malformed_yaml_names_file_and_line(knowledge_copy):
    path = knowledge_copy / "documents" / "batsfjord-sosiale-medier.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[40] = "  - number: [unclosed"
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(KnowledgeError) as error:
        load_knowledge(knowledge_copy)
    (problem,) = error.value.problems
    assert problem.startswith(f"{path}:4")
    assert "ugyldig oppsett" in problem and "Traceback" not in problem
    assert "flow" not in problem and "scanner" not in problem  # no PyYAML jargon


def test_binary_file_is_a_clear_error(knowledge_copy):
    (knowledge_copy / "synonyms.yaml").write_bytes(b"\x00\x01\xff\xfe binary")
    with pytest.raises(KnowledgeError) as error:
        load_knowledge(knowledge_copy)
    assert "synonyms.yaml" in error.value.problems[0]


def test_missing_field_names_line(knowledge_copy):
    path = knowledge_copy / "documents" / "batsfjord-sosiale-medier.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("    quote: HUSK! Du kommer langt med sunn fornuft!\n", "", 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(KnowledgeError) as error:
        load_knowledge(knowledge_copy)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "id: husk-sunn-fornuft" in row)
    assert error.value.problems == [f"{path}:{line}: 'quote' mangler"]


def test_missing_folder_is_an_error(tmp_path):
    with pytest.raises(KnowledgeError):
        load_knowledge(tmp_path / "nowhere")


def test_settings_override_thresholds(knowledge_copy):
    (knowledge_copy / "settings.yaml").write_text("matching:\n  answer: 0.9\n", encoding="utf-8")
    knowledge = load_knowledge(knowledge_copy)
    index = Index.from_knowledge(knowledge)
    assert index.thresholds.answer == 0.9
    assert index.thresholds.clarify == Thresholds().clarify is None  # the fitted model's own


def test_bad_settings_name_file_and_line(knowledge_copy):
    path = knowledge_copy / "settings.yaml"
    path.write_text("# tuned\nmatching:\n  answr: 0.5\n  clarify: high\n", encoding="utf-8")
    with pytest.raises(KnowledgeError) as error:
        load_knowledge(knowledge_copy)
    assert error.value.problems == [
        f"{path}:3: ukjent innstilling 'answr' (kjente: {', '.join(Thresholds.names())})",
        f"{path}:3: innstillingen 'clarify' må være et tall fra 0 til 1",
    ]


def test_a_key_given_twice_is_an_error_not_the_last_one_winning(knowledge_copy):
    path = knowledge_copy / "documents" / "batsfjord-sosiale-medier.yaml"
    text = path.read_text(encoding="utf-8").replace(
        "    section: \"4.4\"\n    audience: alle\n    quote: Publiser aldri",
        "    section: \"4.4\"\n    audience: alle\n    audience: politikere\n    quote: Publiser aldri",
    )
    path.write_text(text, encoding="utf-8")
    with pytest.raises(KnowledgeError) as error:
        load_knowledge(knowledge_copy)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if row == "    audience: politikere")
    assert error.value.problems == [f"{path}:{line}: 'audience' står to ganger i samme oppføring; slett den ene"]


def test_departments_in_a_cycle_are_an_error(knowledge_copy):
    path = knowledge_copy / "contacts.yaml"
    text = path.read_text(encoding="utf-8").replace(
        "  - id: kommunedirektor\n    name: Kommunedirektørens stab\n",
        "  - id: kommunedirektor\n    name: Kommunedirektørens stab\n    parent: helse\n",
    )
    path.write_text(text, encoding="utf-8")
    with pytest.raises(KnowledgeError) as error:
        load_knowledge(knowledge_copy)
    (problem,) = error.value.problems
    assert problem.startswith(f"{path}: avdelingene går i ring via 'parent': ")
    assert "helse" in problem and "kommunedirektor" in problem


def test_entries_waiting_for_review_are_loaded_but_never_served(knowledge_copy):
    path = knowledge_copy / "documents" / "batsfjord-sosiale-medier.yaml"
    text = path.read_text(encoding="utf-8").replace(
        "    quote: Publiser aldri bilder av kollegaer uten samtykke.\n",
        "    quote: Publiser aldri bilder av kollegaer uten en god grunn.\n    review: endret\n"
        "    proposed_quote: Publiser aldri bilder av kollegaer uten samtykke.\n",
    )
    path.write_text(text, encoding="utf-8")
    knowledge = load_knowledge(knowledge_copy)  # the old quote is held back, so no error
    document = knowledge.document("sosiale-medier")
    assert [e.id for e in document.held] == ["bilder-av-kollegaer"]
    assert "bilder-av-kollegaer" not in {e.id for e in knowledge.entries}


def test_a_wrong_review_mark_names_the_choices(knowledge_copy):
    path = knowledge_copy / "documents" / "batsfjord-sosiale-medier.yaml"
    text = path.read_text(encoding="utf-8").replace(
        "    quote: Publiser aldri bilder", "    review: sjekk\n    quote: Publiser aldri bilder"
    )
    path.write_text(text, encoding="utf-8")
    with pytest.raises(KnowledgeError) as error:
        load_knowledge(knowledge_copy)
    assert error.value.problems[0].endswith("review 'sjekk' må være en av endret, fjernet, ny")


def test_the_knowledge_folder_where_you_stand_wins_over_the_packaged_copy(tmp_path, monkeypatch, knowledge_copy):
    from bot.knowledge.loading import default_folder, folder_origin

    monkeypatch.chdir(knowledge_copy.parent)
    assert default_folder() == knowledge_copy.parent / "knowledge"
    assert folder_origin(None) == "mappen knowledge/ der du står"
    monkeypatch.setenv("GUIDEBOT_KNOWLEDGE", str(tmp_path / "annen"))
    assert default_folder() == tmp_path / "annen" and folder_origin(None) == "fra GUIDEBOT_KNOWLEDGE"
    monkeypatch.delenv("GUIDEBOT_KNOWLEDGE")
    monkeypatch.chdir(tmp_path / "knowledge" / "documents")  # no knowledge/ here
    assert default_folder() != Path.cwd() / "knowledge"
