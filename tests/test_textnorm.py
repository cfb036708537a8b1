"""Normalisation: Slack markup, æøå, inflection, synonyms, typos and compounds."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.matching.normalise import Analyzer, Synonyms, Vocabulary, clean, fold, stem


def test_fold_makes_typed_without_aeoeaa_meet():
    assert fold("ærekrenkende") == "aerekrenkende"
    assert fold("søkbar") == fold("sokbar")
    assert fold("båt") == fold("baat") == "bat"


def test_stem_treats_inflections_alike():
    assert stem("kollegaen") == stem("kollegaer") == stem("kollega") == stem("kollegaene")
    assert stem("bildet") == stem("bilder") == stem("bilde")
    assert stem("kommunens") == stem("kommunen")
    assert stem("meningen") == stem("mening")


def test_clean_drops_slack_markup_but_keeps_link_labels():
    text = clean("<@U123> se <https://evil.example|kommune.no> <!channel> :smile: 😀")
    assert "U123" not in text and "channel" not in text and "evil" not in text
    assert "kommune.no" in text and "smile" not in text


def test_synonyms_map_phrases_and_inflections_to_one_term():
    analyzer = Analyzer(Synonyms.from_groups([["publisere", "legge ut", "poste"], ["bilde", "foto", "bilete"]]))
    assert analyzer.terms("kan jeg legge ut fotoet") == analyzer.terms("kan eg poste biletet")


def test_ignored_words_are_dropped():
    analyzer = Analyzer(Synonyms(), ignored_words=["Båtsfjord"])
    assert analyzer.terms("ordfører i Båtsfjord") == ["ordfor"]


def test_vocabulary_repairs_typos_and_splits_compounds():
    synonyms = Synonyms.from_groups([["profil", "side"]])
    vocabulary = Vocabulary(["facebook", "profil", "kollegaer", "samtykk"], synonyms)
    assert vocabulary.resolve("facebooksid") == ("facebook", "profil")
    assert vocabulary.resolve("samtyk") == ("samtykk",)
    assert vocabulary.resolve("lonn") == ("lonn",)  # unknown stays unknown


@given(st.text(max_size=300))
def test_any_text_gives_plain_terms_without_error(text):
    for term in Analyzer().terms(text):
        assert term and term == term.lower() and " " not in term


@pytest.mark.parametrize(
    "filler", ["i det hele tatt", "I det heile teke", "i grunnen", "for å si det sånn", "By the way", "at ALL"]
)
def test_filler_phrases_are_removed_in_any_case(filler):
    # "tatt" and "grunn" look like content words; the phrase around them carries no meaning.
    assert clean(f"kan jeg {filler} poste bilder?").split() == ["kan", "jeg", "poste", "bilder?"]
    assert Analyzer().terms(f"{filler} bilder") == Analyzer().terms("bilder")
