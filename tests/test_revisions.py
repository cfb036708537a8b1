"""A revised guideline end to end: `guidebot import NEW --document ID --update` on a copy of the
seed with one sentence changed, one removed and one added."""

from __future__ import annotations

from argparse import Namespace
from datetime import date

import yaml

from bot.answers import Guidebot
from bot.knowledge.check import examine_folder
from bot.knowledge.importing import read_guideline
from bot.knowledge.importing.writing import write_import
from bot.knowledge.sourcetext import normalise_for_compare
from tests.conftest import KNOWLEDGE

OLD = "Publiser aldri bilder av kollegaer uten samtykke."
NEW = "Publiser aldri bilder av kollegaer uten skriftlig samtykke."
REMOVED = "• Taushetsplikt gjelder også i sosiale medier.  \n"
ADDED = "Svar aldri på spørsmål om enkeltsaker i kommentarfeltet."


def revise_seed(knowledge_copy, tmp_path):
    text = (KNOWLEDGE / "sources" / "batsfjord-sosiale-medier.txt").read_text(encoding="utf-8")
    assert OLD in text and REMOVED in text
    revised = text.replace(OLD, NEW).replace(REMOVED, "").replace(
        "• Politiske henvendelser skal alltid henvises til politisk nivå. ",
        f"• Politiske henvendelser skal alltid henvises til politisk nivå. \n• {ADDED}",
    )
    path = tmp_path / "retningslinjer-2026.txt"
    path.write_text(revised, encoding="utf-8")
    args = Namespace(
        file=str(path), document="sosiale-medier", knowledge=str(knowledge_copy), output=None, source=None,
        title=None, update=True, revised="2026-03-01",
    )
    return write_import(read_guideline(path), args)


def entries_by_id(knowledge_copy):
    data = yaml.safe_load((knowledge_copy / "documents" / "batsfjord-sosiale-medier.yaml").read_text(encoding="utf-8"))
    return data, {e["id"]: e for e in data["entries"]}


def test_revision_keeps_unchanged_marks_changed_and_removed_and_adds_new(knowledge_copy, tmp_path):
    _, before = entries_by_id(knowledge_copy)
    assert revise_seed(knowledge_copy, tmp_path) == 0
    data, after = entries_by_id(knowledge_copy)
    assert data["document"]["revised"] == date(2026, 3, 1)
    assert data["document"]["adopted"] == date(2012, 1, 26)
    # Unchanged quotes keep answers and phrasings.
    for entry_id in ("gjelder-for", "fotografen", "tvilstilfeller"):
        assert after[entry_id] == before[entry_id]
    # The changed sentence: held for review, the new sentence proposed.
    assert after["bilder-av-kollegaer"]["review"] == "endret"
    assert after["bilder-av-kollegaer"]["proposed_quote"] == NEW
    assert after["bilder-av-kollegaer"]["questions"] == before["bilder-av-kollegaer"]["questions"]
    # The removed sentence: flagged.
    assert after["taushetsplikt-gjelder"]["review"] == "fjernet"
    # The new sentence: a new entry, served at once.
    (new,) = [e for e in after.values() if e.get("review") == "ny"]
    assert new["quote"] == ADDED and new["section"] == "4.4"
    # The old files are kept for comparison.
    assert (knowledge_copy / "documents" / "batsfjord-sosiale-medier.yaml.forrige").exists()
    assert (knowledge_copy / "sources" / "batsfjord-sosiale-medier.txt.forrige").exists()


def test_check_shows_what_waits_and_the_bot_never_shows_an_old_quote(knowledge_copy, tmp_path):
    revise_seed(knowledge_copy, tmp_path)
    knowledge, found = examine_folder(knowledge_copy)
    assert found.errors == []
    assert len(found.waiting) == 2
    assert any("'bilder-av-kollegaer'" in line and NEW in line for line in found.waiting)
    assert any("'taushetsplikt-gjelder'" in line and "fjernet" in line for line in found.waiting)
    assert found.counts[0].waiting == 2
    bot = Guidebot(knowledge)
    served = {e.id for e in knowledge.entries}
    assert "bilder-av-kollegaer" not in served and "taushetsplikt-gjelder" not in served
    source = normalise_for_compare((knowledge_copy / "sources" / "batsfjord-sosiale-medier.txt").read_text("utf-8"))
    questions = ["kan jeg legge ut et bilde av kollegaen min?", "gjelder taushetsplikt på facebook?",
                 "hvem gjelder retningslinjene for?", "må jeg spørre fotografen?"]
    for question in questions:
        answer = bot.ask(question)
        for quote in [answer.entry.quote] if answer.entry else []:
            assert normalise_for_compare(quote) in source, question
            assert quote != OLD


def test_accepting_the_proposal_makes_the_entry_served_again(knowledge_copy, tmp_path):
    revise_seed(knowledge_copy, tmp_path)
    path = knowledge_copy / "documents" / "batsfjord-sosiale-medier.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for entry in data["entries"]:
        if entry["id"] == "bilder-av-kollegaer":
            entry["quote"] = entry.pop("proposed_quote")
            entry.pop("review")
    data["entries"] = [e for e in data["entries"] if e.get("review") != "fjernet"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    knowledge, found = examine_folder(knowledge_copy)
    assert found.errors == [] and found.waiting == []
    assert "bilder-av-kollegaer" in {e.id for e in knowledge.entries}


def test_a_second_update_with_the_same_text_changes_nothing(knowledge_copy, tmp_path):
    revise_seed(knowledge_copy, tmp_path)
    _, first = entries_by_id(knowledge_copy)
    revise_seed(knowledge_copy, tmp_path)
    _, second = entries_by_id(knowledge_copy)
    assert first == second


def test_a_doubt_entry_waiting_for_review_is_advice_and_not_quoted_in_referrals(knowledge_copy, tmp_path):
    source = knowledge_copy / "sources" / "batsfjord-sosiale-medier.txt"
    old = "Tvilstilfeller i forhold til retningslinjene tas opp med nærmeste leder."
    new = "Tvilstilfeller i forhold til retningslinjene tas opp med nærmeste leder eller personalavdelingen."
    path = tmp_path / "ny.txt"
    path.write_text(source.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    args = Namespace(file=str(path), document="sosiale-medier", knowledge=str(knowledge_copy), output=None,
                     source=None, title=None, update=True, revised=None)
    assert write_import(read_guideline(path), args) == 0
    knowledge, found = examine_folder(knowledge_copy)
    assert any("doubt_entry 'tvilstilfeller' venter på gjennomgang" in a for a in found.advice)
    answer = Guidebot(knowledge).ask("printeren virker ikke")
    assert answer.outcome == "referred" and answer.doubt_quote is None
