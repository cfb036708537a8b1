"""The core end to end: questions in, answers with verbatim quotes or referrals out."""

import json
import subprocess
import sys

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.answers import Asker, clean_question, detect_language
from bot.knowledge.sourcetext import normalise_for_compare
from tests.conftest import KNOWLEDGE

SOURCE = (KNOWLEDGE / "sources" / "batsfjord-sosiale-medier.txt").read_text(encoding="utf-8")


def test_colleague_photo_is_answered_with_verbatim_quote_and_section(bot):
    answer = bot.ask("kan jeg legge ut et bilde av kollegaen min?")
    assert answer.outcome == "answered"
    assert answer.entry.section == "4.4"
    assert answer.entry.quote == "Publiser aldri bilder av kollegaer uten samtykke."
    assert normalise_for_compare(answer.entry.quote) in normalise_for_compare(SOURCE)
    text = answer.as_text()
    assert "punkt 4.4" in text and "revidert 20.04.2023" in text


def test_every_quote_in_the_knowledge_is_verbatim(bot):
    compact = normalise_for_compare(SOURCE)
    for entry in bot.knowledge.entries:
        assert normalise_for_compare(entry.quote) in compact, entry.id


def test_out_of_scope_is_referred_to_the_askers_leader_and_it(bot):
    asker = bot.identify(email="Sigrid.Eriksen@batsfjord.kommune.no")
    answer = bot.ask("hvordan bytter jeg passord?", asker)
    assert answer.outcome == "referred"
    assert answer.referral.contact.name == "Kari Nordvik"
    text = answer.as_text()
    assert "Kari Nordvik" in text and "#it-hjelp" in text
    assert "Tvilstilfeller i forhold til retningslinjene tas opp med nærmeste leder." in text


def test_a_leader_is_referred_to_their_own_leader(bot):
    asker = bot.identify(slack_user="U0HELSE001")
    assert asker.role == "leder"
    assert asker.leader.name == "Ingrid Havnes"


def test_unknown_asker_gets_nearest_leader_wording(bot):
    text = bot.ask("når får vi lønn").as_text()
    assert "din nærmeste leder" in text and "IT-avdelingen" in text


def test_politician_is_referred_to_the_political_contact(bot):
    asker = bot.identify(slack_user="U0POLIT001")
    answer = bot.ask("hvordan bestiller jeg ny pc", asker)
    assert answer.referral.contact_kind == "politisk"
    assert "Politisk sekretariat" in answer.as_text()


def test_politician_question_says_so(bot):
    answer = bot.ask("som politiker, kan jeg skrive negativt om ansatte i kommunen på facebook?")
    assert answer.outcome == "answered" and answer.entry.id == "politiker-arbeidsgiver"
    assert answer.as_text().startswith("Som folkevalgt:")
    # One of the entry's own phrasings, which session 8's trees asked back (four of the five
    # closest phrasings belong to other entries): word for word an editor's phrasing, answered.
    worded = bot.ask("som folkevalgt, kan jeg kritisere ansatte på facebook?")
    assert worded.outcome == "answered" and worded.entry.id == "politiker-arbeidsgiver"
    assert worded.as_text().startswith("Som folkevalgt:")


def test_role_prefers_entries_for_that_audience(bot):
    # "opprette-profil" is for employees: a politician's question ranks it lower than anyone's.
    question = "kan vi lage en facebookside for barnehagen"
    for_anyone = bot.index.match(question, "alle").best
    for_politician = bot.index.match(question, Asker(role="politiker").audience).best
    assert for_anyone.entry.id == for_politician.entry.id == "opprette-profil"
    assert for_politician.score < for_anyone.score
    assert bot.index.match(question, "ansatte").best.score == for_anyone.score


def test_english_question_gets_english_frame_and_norwegian_quote(bot):
    # ("Can I use my work email on my private Facebook?" is asked back since session 6's refit:
    # 0.79 against the answer threshold 0.86, the right rule offered first.)
    answer = bot.ask("may I register my private facebook with my work e-mail?")
    assert answer.language == "en" and answer.outcome == "answered"
    assert "section 5.2" in answer.as_text()
    assert answer.to_dict()["quote"].startswith("Husk å ikke benytte e-postadressen")


def test_vague_question_asks_back_with_options(bot):
    answer = bot.ask("kommentarer?")
    assert answer.outcome == "clarify"
    # Belief spread thin over many rules about comments: more than three are offered, at most five.
    assert 3 < len(answer.candidates) <= 5
    assert [e.id for e, _ in answer.candidates] == [c.entry.id for c in bot.index.match("kommentarer?").choices]
    picked = bot.pick(answer.candidates[0][0].id, "kommentarer?")
    assert picked.outcome == "answered" and picked.entry.id == answer.candidates[0][0].id


@pytest.mark.parametrize(
    "question",
    ["", "   \n\t ", "x" * 100_000, "\x00\x01\x02\xff binær", b"\xff\xfe\x00bytes", "😀😀😀", None, "<!channel>"],
)
def test_bad_input_gets_a_clear_answer_not_a_crash(bot, question):
    answer = bot.ask(question)
    assert answer.outcome in ("answered", "clarify", "referred")
    assert answer.as_text().strip()
    assert answer.to_dict()["outcome"] == answer.outcome


def test_huge_question_is_truncated_with_a_notice(bot):
    answer = bot.ask("kan jeg legge ut bilde av kollegaen min " * 5000)
    assert "første" in answer.as_text()


def test_clean_question_and_language():
    assert clean_question("a\x00b") == ("a b", False)
    assert clean_question("x" * 3000) == ("x" * 2000, True)
    assert detect_language("can I post a photo of my colleague?") == "en"
    assert detect_language("kan jeg poste et bilde?") == "nb"


def test_core_imports_no_chat_sdk():
    code = (
        "import sys, bot.answers, bot.matching.matcher, bot.knowledge, bot.knowledge.check, bot.knowledge.importing, bot.cli,"
        " bot.log.privacy, bot.log.store, bot.service, bot.log.reports, bot.log.formats, bot.evaluation,"
        " bot.adapters.terminal, bot.outbox, bot.smalltalk, bot.lifecycle, bot.env;"
        "bad=[m for m in sys.modules if m.split('.')[0] in ('slack_bolt','slack_sdk','botbuilder')];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=400), st.binary(max_size=200)))
@example(b"tY")  # small talk ("ty" = thank you) from bytes: found by hypothesis after the merge
def test_any_input_gets_a_well_formed_answer(bot, question):
    answer = bot.ask(question)
    assert answer.outcome in ("answered", "clarify", "referred", "smalltalk")
    data = json.loads(json.dumps(answer.to_dict(), ensure_ascii=False))
    quotes = {entry.quote for entry in bot.knowledge.entries}
    if data["outcome"] == "answered":
        assert data["quote"] in quotes and data["section"]
    elif data["outcome"] == "smalltalk":  # "ty", "hei": a kind word back, no referral by design
        assert data["section"] is None and data["notice"] and not data["candidates"]
    else:
        assert data["section"] is None and data["refer_to"]["it"]["name"]
    assert all(candidate["quote"] in quotes for candidate in data["candidates"])
    assert answer.as_text().strip()
