"""Loading the knowledge files: the real ones load; broken ones give file:line errors."""

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
    assert "invalid YAML" in problem and "Traceback" not in problem


def test_binary_file_is_a_clear_error(knowledge_copy):
    (knowledge_copy / "synonyms.yaml").write_bytes(b"\x00\x01\xff\xfe binary")
    with pytest.raises(KnowledgeError) as error:
        load_knowledge(knowledge_copy)
    assert "synonyms.yaml" in error.value.problems[0]


def test_missing_field_names_line(knowledge_copy):
    path = knowledge_copy / "documents" / "batsfjord-sosiale-medier.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("    answer: Du kommer langt med sunn fornuft.\n", "", 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(KnowledgeError) as error:
        load_knowledge(knowledge_copy)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "id: husk-sunn-fornuft" in row)
    assert error.value.problems == [f"{path}:{line}: 'answer' is missing"]


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
        f"{path}:3: unknown matching setting 'answr' (known: {', '.join(Thresholds.names())})",
        f"{path}:3: matching setting 'clarify' must be a number from 0 to 1",
    ]
