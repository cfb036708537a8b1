"""Masking personal data before a question is logged (issue 8, point 10): each form the probe
found unmasked, names from the name lists in any case, ordinary questions left alone, and the
notice that asks people not to write health details."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.log.privacy import NAME_WORDS, Masker, name_lists, notice
from bot.service import Service


@pytest.fixture(scope="module")
def masker(bot) -> Masker:
    return Service.masker_for(bot)


FORMS = [
    # (text, what must not survive)
    ("kan jeg poste bilde av sigrid på facebook?", ["sigrid"]),  # a contact, lower-case
    ("fjeldstad sa at det var greit", ["fjeldstad"]),
    ("kan jeg tagge kari nordvik i innlegget", ["kari", "nordvik"]),
    ("KAN JEG POSTE BILDE AV INGRID HANSEN?", ["INGRID", "HANSEN"]),  # all caps
    ("can I tag OLA in the photo?", ["OLA"]),
    ("kan jeg poste bilde av Máret Sárá fra reinflyttinga?", ["Máret", "Sárá"]),  # Sami letters
    ("hva om Áilu Gaup klager", ["Áilu", "Gaup"]),
    ("er det greit å tagge Iŋgá Buljo", ["Iŋgá", "Buljo"]),
    ("bilde av čeavžžá og ŧuomas", ["čeavžžá", "ŧuomas"]),
    ("kollegaen min Dag vil ikke være med", ["Dag"]),  # names that are words, in a name's place
    ("hun heter May og jobber i barnehagen", ["May"]),
    ("Vår Hansen sa nei til bildet", ["Vår", "Hansen"]),
    ("kan jeg poste bilde av per olsen", ["per", "olsen"]),
    ("spør @kari.nordvik om det er greit", ["kari.nordvik", "kari"]),  # handles
    ("send til ola (at) gmail.com", ["ola", "gmail"]),  # obfuscated e-mail
    ("ola[at]gmail[dot]com er adressa", ["ola", "gmail"]),
    ("skriv til kari at batsfjord dot kommune dot no", ["kari", "batsfjord"]),
    ("hun bor i storgata 5, 9990 båtsfjord", ["storgata", "9990"]),  # lower-case address
    ("møtet er i kongens gate 12", ["kongens gate 12"]),
    ("bilen AB 12345 står på plassen min", ["12345"]),  # licence plate
    ("kan jeg legge ut bilde av el-bilen EL 98765", ["98765"]),
    ("ring meg på (+47) 912 34 567", ["912"]),  # phone numbers
    ("nummeret er 912-34-567", ["912"]),
    ("fødselsnummeret er 010190 12345", ["12345"]),
    ("kollegaen min er sykmeldt for depresjon, kan jeg si det?", ["depresjon"]),  # health
    ("hun har fått diagnosen diabetes", ["diabetes"]),
    ("is it ok to say he has cancer", ["cancer"]),
]


@pytest.mark.parametrize(("text", "secrets"), FORMS)
def test_each_form_of_personal_data_is_masked(masker, text, secrets):
    masked = masker.mask(text)
    for secret in secrets:
        assert not re.search(rf"(?<!\w){re.escape(secret)}(?!\w)", masked, re.IGNORECASE), (text, masked)
    assert "[" in masked


@pytest.mark.parametrize("text", [
    "hvor mange innlegg kan vi poste per uke?",
    "Vår leder sier nei, hva gjelder?",
    "hva gjelder i dag for kommentarer",
    "GJELDER DETTE FOR NAV?",
    "KAN JEG POSTE PÅ FACEBOOK I ARBEIDSTIDEN?",
    "kan vi bruke bildet fra strandryddedagen?",
    "hva med sak 2024/1234 i kommunestyret",
    "punkt 4.4 sier noe om bilder, gjelder det video?",
    "Hvordan bytter jeg passord?",
    "kan jeg være sykmeldt og poste på facebook?",
])
def test_ordinary_questions_are_left_alone(masker, text):
    assert masker.mask(text) == text


def test_names_come_from_a_maintained_list():
    first, last = name_lists()
    # Faker's Norwegian lists (SSB's most common names), its Nordic neighbours, and Sami names.
    assert {"kari", "ola", "ingrid", "jonas"} <= first and {"hansen", "johansen", "haugen"} <= last
    assert {"niillas", "elle"} <= first and {"gaup", "somby", "hætta"} <= last
    assert len(first) > 1000 and len(last) > 800


UNAMBIGUOUS_FIRST = sorted(n for n in name_lists()[0] if n not in NAME_WORDS and n.isalpha() and len(n) > 2)
UNAMBIGUOUS_LAST = sorted(n for n in name_lists()[1] if n not in NAME_WORDS and n.isalpha() and len(n) > 2)


@settings(max_examples=150, deadline=None)
@given(first=st.sampled_from(UNAMBIGUOUS_FIRST), last=st.sampled_from(UNAMBIGUOUS_LAST),
       case=st.sampled_from([str.lower, str.upper, str.title]),
       frame=st.sampled_from(["kan jeg poste bilde av {} på facebook?", "{} sa at jeg kunne dele det",
                              "hva om {} klager på innlegget?", "can I tag {} in a photo?"]))
def test_listed_names_are_masked_in_any_case(bot, first, last, case, frame):
    masker = Masker(known_words=[])
    name = case(f"{first} {last}")
    masked = masker.mask(frame.format(name))
    for part in name.split():
        assert not re.search(rf"(?<!\w){re.escape(part)}(?!\w)", masked), (name, masked)


def test_the_notice_asks_people_not_to_write_health_details():
    assert "Ikke skriv* helseopplysninger" in notice(90)
    assert "do not write* health details" in notice(90, "en")
    assert "klokkeslett" in notice(90) and "time of day" in notice(90, "en")
