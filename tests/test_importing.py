"""`guidebot import` on real shapes: the seed as text, PDF and Word; a nynorsk document with
unnumbered headings and restarting numbered lists; any generated numbered document."""

from __future__ import annotations

import re
import shutil
from argparse import Namespace
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.answers import Guidebot
from bot.knowledge.check import examine_folder
from bot.knowledge.importing import from_text, read_guideline, report
from bot.knowledge.importing.writing import write_import
from bot.knowledge.model import KnowledgeError
from bot.knowledge.sourcetext import normalise_for_compare, split_sentences
from tests.guideline_files import NYNORSK, SEED, _seed_lines, nynorsk_docx, seed_docx, seed_pdf, seed_pdf_reportlab

KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge"
SEED_SECTIONS = ["1", "2", "3", "4", "4.1", "4.2", "4.3", "4.4", "5", "5.1", "5.2"]


def empty_folder(tmp_path: Path) -> Path:
    """A knowledge folder with the real synonyms and contacts but no documents yet."""
    folder = tmp_path / "knowledge"
    (folder / "documents").mkdir(parents=True)
    (folder / "sources").mkdir()
    for name in ("synonyms.yaml", "contacts.yaml", "settings.yaml"):
        shutil.copy(KNOWLEDGE / name, folder / name)
    return folder


def import_into(folder: Path, file: Path, document: str, **options) -> int:
    args = Namespace(
        file=str(file), document=document, knowledge=str(folder), output=None, source=None, title=None,
        update=False, revised=None,
    )
    for key, value in options.items():
        setattr(args, key, value)
    return write_import(read_guideline(file), args)


def seed_bullets() -> list[str]:
    """Every bullet of the seed, read independently of the importer: a "•" line and its run-on lines."""
    bullets: list[str] = []
    for kind, text in _seed_lines():
        if kind == "bullet":
            bullets.append(text[1:].strip())
        elif kind == "more":
            bullets[-1] += " " + text
    return bullets


@pytest.fixture(params=["txt", "pdf", "pdf-reportlab", "docx"])
def seed_file(request, tmp_path) -> Path:
    if request.param == "txt":
        return SEED
    if request.param == "pdf":
        return seed_pdf(tmp_path / "retningslinjer.pdf")
    if request.param == "pdf-reportlab":
        return seed_pdf_reportlab(tmp_path / "retningslinjer.pdf")
    return seed_docx(tmp_path / "retningslinjer.docx")


def test_the_seed_imports_whole_and_passes_check_as_it_comes(seed_file, tmp_path):
    folder = empty_folder(tmp_path)
    assert import_into(folder, seed_file, "sosiale-medier") == 0
    knowledge, found = examine_folder(folder)
    assert found.errors == []
    assert found.waiting == []
    # Advice only about phrasings: the import covers every sentence of its source.
    assert len(found.advice) == 1 and "har ingen spørsmål" in found.advice[0]
    document = knowledge.document("sosiale-medier")
    assert [s.number for s in document.sections] == [*SEED_SECTIONS, "Avslutning"]
    assert document.section("4.4").title == "Retningslinjer for bruk av sosiale medier på vegne av Båtsfjord kommune"
    seed = normalise_for_compare(SEED.read_text(encoding="utf-8"))
    quotes = {normalise_for_compare(e.quote): e for e in document.entries}
    for quote in quotes:  # verbatim in the published text, not only in the extracted one
        assert quote in seed
    assert set(SEED_SECTIONS) - {"4"} <= {e.section for e in document.entries}
    bullets = seed_bullets()
    assert len(bullets) == 17
    for bullet in bullets:  # each bullet whole in one entry, in 4.4 or 5.2
        owner = [e for q, e in quotes.items() if normalise_for_compare(bullet) in q]
        assert owner and owner[0].section in ("4.4", "5.2"), bullet
    closing = [e for e in document.entries if e.section == "Avslutning"]
    assert "Tvilstilfeller i forhold til retningslinjene tas opp med nærmeste leder." in {e.quote for e in closing}
    assert any(e.quote.startswith("Vedtatt i kommunestyret 26.01.2012") for e in closing)
    for entry in document.entries:  # answerable as it comes: the answer is the quote
        assert entry.answer == entry.quote and entry.questions == ()
    Guidebot(knowledge)  # the bot starts on it


def test_pdf_text_is_cleaned_for_sources(tmp_path):
    guideline = read_guideline(seed_pdf(tmp_path / "seed.pdf"))
    text = guideline.source_text
    # Bullets in one line each, even where the original broke them over a blank line.
    assert "• Vær aktivt til stede. Ingen sosiale medier krever umiddelbare svar, men du bør følge opp så raskt" in text
    assert "IT-avdelingen." in text and "IT-\navdelingen" not in text
    assert guideline.title == "Retningslinjer for bruk av sosiale medier"
    # The page footers are left out, and said so.
    assert [why for _, _, why in guideline.left_out].count("sidetall") >= 3
    assert "Side 1" not in text


def test_pdf_hyphenation_at_line_end_is_repaired():
    from bot.knowledge.importing.pdf import _join_hyphenated

    assert _join_hyphenated("hele arbeids-", "dagen lang") == "hele arbeidsdagen lang"
    assert _join_hyphenated("leder eller IT-", "avdelingen.") == "leder eller IT-avdelingen."
    assert _join_hyphenated("bruk e-", "post") == "bruk e-post"
    assert _join_hyphenated("overholdelse av lov-", "og avtaleverk") == "overholdelse av lov- og avtaleverk"


def test_nynorsk_restarting_lists_lose_nothing():
    guideline = from_text(NYNORSK)
    sections = {s.number: s for s in guideline.outline.sections}
    assert [n for n in sections if n in ("Passord", "E-post", "Tofaktor")] == ["Passord", "E-post", "Tofaktor"]
    assert not any(n[:1].isdigit() for n in sections)  # restarting lists are lists, not sections
    assert [d.quote for d in sections["Passord"].drafts] == [
        "Passordet skal ha minst 12 teikn.",
        "Bruk ikkje same passord på jobb og privat.",
        "Del aldri passordet ditt med andre, heller ikkje med IT-avdelinga.",
    ]
    assert [d.quote for d in sections["E-post"].drafts] == [
        "Jobb-e-posten skal berre brukast til arbeid.",
        "Send aldri personopplysningar ukryptert.",
    ]
    drafts = {d.quote: d for d in sections["Tofaktor"].drafts}
    # The item's title stays with its rule; the lead-in is quoted with its list, not alone.
    assert "Pålogging utanfrå. Du må alltid bruke tofaktor når du loggar på utanfrå." in drafts
    assert "Følgjande prinsipp gjeld for pålogging:" not in drafts
    lists = [d for d in drafts.values() if d.kind == "list"]
    assert lists and lists[0].quote.startswith("Følgjande prinsipp gjeld for pålogging: 1. Pålogging utanfrå.")
    assert "Brot på reglane kan føre til at tilgangen blir stengd." in drafts
    _every_sentence_is_kept(NYNORSK, guideline)


def _every_sentence_is_kept(text: str, guideline) -> None:
    quotes = [normalise_for_compare(d.quote) for d in guideline.outline.drafts]
    titles = {normalise_for_compare(s.title) for s in guideline.outline.sections}
    left_out = {normalise_for_compare(t) for _, t, _ in guideline.left_out}
    for line in text.splitlines():
        body = re.sub(r"^\s*(\d+\.|•)\s+", "", line).strip()
        for sentence in split_sentences(body):
            compact = normalise_for_compare(sentence)
            assert compact in titles or compact in left_out or any(compact in q for q in quotes), sentence


def test_nynorsk_word_file_with_list_styles(tmp_path):
    folder = empty_folder(tmp_path)
    assert import_into(folder, nynorsk_docx(tmp_path / "passord.docx"), "passord-nn") == 0
    knowledge, found = examine_folder(folder)
    assert found.errors == []
    document = knowledge.document("passord-nn")
    assert {"Passord", "E-post", "Tofaktor"} <= {s.number for s in document.sections}
    quotes = [e.quote for e in document.entries]
    assert "Passordet skal ha minst 12 teikn." in quotes
    assert "Send aldri personopplysningar ukryptert." in quotes
    assert "Mobil. Appen for tofaktor skal berre liggje på telefonen din." in quotes
    source = (folder / "sources" / "passord-nn.txt").read_text(encoding="utf-8")
    assert "\n1. Passordet skal ha minst 12 teikn.\n" in source and "\n1. Jobb-e-posten" in source


def test_word_headings_numbered_by_word_are_counted(tmp_path):
    docx = pytest.importorskip("docx")
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    document = docx.Document()
    for level, text in [(1, "Formål"), (1, "Ansvar"), (2, "Leders ansvar"), (1, "Brudd")]:
        heading = document.add_heading(text, level=level)
        numbering = OxmlElement("w:numPr")  # Word's own heading numbering: the number is not in the text
        ilvl, num_id = OxmlElement("w:ilvl"), OxmlElement("w:numId")
        ilvl.set(qn("w:val"), str(level - 1))
        num_id.set(qn("w:val"), "1")
        numbering.extend([ilvl, num_id])
        heading._p.get_or_add_pPr().append(numbering)
        document.add_paragraph(f"Regelen om {text.lower()} gjeld alle.")
    path = tmp_path / "nummerert.docx"
    document.save(str(path))
    guideline = read_guideline(path)
    assert [(s.number, s.title) for s in guideline.outline.sections] == [
        ("1", "Formål"), ("2", "Ansvar"), ("2.1", "Leders ansvar"), ("3", "Brudd")
    ]


def test_a_plain_import_never_overwrites_an_edited_document(tmp_path):
    folder = empty_folder(tmp_path)
    assert import_into(folder, SEED, "sosiale-medier") == 0
    target = folder / "documents" / "sosiale-medier.yaml"
    target.write_text(target.read_text(encoding="utf-8") + "# redigert\n", encoding="utf-8")
    with pytest.raises(KnowledgeError) as error:
        import_into(folder, SEED, "sosiale-medier")
    assert "finnes allerede" in error.value.problems[0] and "--update" in error.value.problems[0]
    assert target.read_text(encoding="utf-8").endswith("# redigert\n")


@pytest.mark.parametrize(
    "name, content, says",
    [
        ("retningslinje.odt", b"x", "kan bare importere"),
        ("ødelagt.pdf", b"%PDF-1.4 not really", "PDF-filen kan ikke leses"),
        ("ødelagt.docx", b"PK not a zip", "Word-filen kan ikke leses"),
    ],
)
def test_unreadable_files_are_one_clear_line(tmp_path, name, content, says):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(KnowledgeError) as error:
        read_guideline(path)
    (problem,) = error.value.problems
    assert says in problem and "Traceback" not in problem


def test_report_names_what_was_left_out():
    guideline = from_text("1. Formål\nRegelen gjelder alle.\n\nSide 2 av 3\n\nInnhold ........ 3\n")
    lines = report(guideline)
    assert lines[0] == "Fant 1 punkt(er) og 1 oppføring(er)."
    assert "Utelatt (sidetall): linje 4: «Side 2 av 3»" in lines
    assert any("innholdsfortegnelse" in line for line in lines)


# --- any generated numbered document round-trips: import -> check passes, nothing lost -----------

_WORDS = st.sampled_from(
    "regel ansatt leder kommune bruk tilgang passord melding svar frist skjema rutine avvik tiltak "
    "kontor system bilde konto samtykke data".split()
)
_SENTENCE = st.lists(_WORDS, min_size=3, max_size=9).map(lambda w: " ".join(w).capitalize() + ".")
_TITLE = st.lists(_WORDS, min_size=1, max_size=4).map(lambda w: " ".join(w).capitalize())
_BODY = st.one_of(
    st.lists(_SENTENCE, min_size=1, max_size=3).map(lambda s: ("paragraph", s)),
    st.lists(_SENTENCE, min_size=1, max_size=4).map(lambda s: ("bullets", s)),
    st.tuples(_SENTENCE, st.lists(_SENTENCE, min_size=2, max_size=4)).map(lambda t: ("numbered", t)),
    # a numbered list right under the heading, its items short rules without a full stop
    st.lists(_TITLE.map(lambda t: t + " alltid"), min_size=2, max_size=4).map(lambda s: ("titled", s)),
)


@st.composite
def numbered_documents(draw):
    lines: list[str] = []
    expected: list[str] = []
    numbers: list[str] = []
    for top in range(1, draw(st.integers(1, 4)) + 1):
        children = draw(st.integers(0, 2))
        for sub in [None, *range(1, children + 1)]:
            number = f"{top}" if sub is None else f"{top}.{sub}"
            numbers.append(number)
            lines += [f"{number}. {draw(_TITLE)}" if sub is None else f"{number} {draw(_TITLE)}", ""]
            if sub is None and children and draw(st.booleans()):
                continue  # a parent section with only sub-sections
            kind, body = draw(_BODY)
            if kind == "paragraph":
                lines += [" ".join(body), ""]
                expected += body
            elif kind == "bullets":
                lines += [f"• {s}" for s in body] + [""]
                expected += body
            elif kind == "titled":
                lines += [f"{i}. {s}" for i, s in enumerate(body, 1)] + [""]
                expected += body
            else:
                lead, items = body
                lead = lead[:-1] + ":"
                lines += [lead] + [f"{i}. {s}" for i, s in enumerate(items, 1)] + [""]
                expected += [lead, *items]
    return "\n".join(lines) + "\n", expected, numbers


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(numbered_documents())
def test_any_numbered_document_round_trips_through_import_and_check(tmp_path_factory, generated):
    text, expected, numbers = generated
    folder = empty_folder(tmp_path_factory.mktemp("roundtrip"))
    (folder / "sources" / "generert.txt").write_text(text, encoding="utf-8")
    assert import_into(folder, folder / "sources" / "generert.txt", "generert") == 0
    knowledge, found = examine_folder(folder)
    assert found.errors == [], text
    document = knowledge.document("generert")
    assert [s.number for s in document.sections] == numbers, text
    quotes = [normalise_for_compare(e.quote) for e in document.entries]
    for sentence in expected:
        assert any(normalise_for_compare(sentence) in q for q in quotes), (sentence, text)
    data = yaml.safe_load((folder / "documents" / "generert.yaml").read_text(encoding="utf-8"))
    assert len({e["id"] for e in data["entries"]}) == len(data["entries"])


@pytest.mark.parametrize(
    "text, says",
    [
        ("a: [uten slutt\n", "en liste i [ ] er ikke lukket med ]"),
        ("a:\n\t- b\n", "tabulator brukt som innrykk; bruk mellomrom"),
        ("quote: Merk: dette\nanswer: x: y\n", "et kolon (:) der det ikke kan stå"),
        ("entries:\n  - id: x\n   quote: y\n", "innrykket stemmer ikke med linjene over"),
        ('quote: "ikke lukket\n', "et anførselstegn er ikke lukket"),
    ],
)
def test_yaml_slips_are_told_in_norwegian_without_pyyaml_words(tmp_path, text, says):
    from bot.knowledge.loading import read_yaml

    path = tmp_path / "dokument.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(KnowledgeError) as error:
        read_yaml(path)
    (problem,) = error.value.problems
    assert problem.startswith(f"{path}:") and says in problem
    assert not any(word in problem for word in ("scanner", "mapping", "block", "flow", "token"))


def test_pdf_paragraph_after_a_bullet_list_is_not_glued_and_headers_are_left_out(tmp_path):
    fpdf = pytest.importorskip("fpdf")
    from tests.guideline_files import FONT

    if not FONT.exists():
        pytest.skip("the DejaVu font is not installed")
    pdf = fpdf.FPDF()
    pdf.add_font("DejaVu", fname=str(FONT))
    pdf.set_font("DejaVu", size=10)

    def line(text: str, indent: float = 0) -> None:
        pdf.set_x(pdf.l_margin + indent)
        pdf.cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")

    for page in (1, 2):
        pdf.add_page()
        line("Fjordvik kommune – IKT-reglement")  # a page header on both pages
        pdf.ln(5)
        if page == 1:
            line("1. Formål")
            line("Reglementet gjelder for hele arbeids-")
            line("dagen og for alt utstyr kommunen eier.")
            pdf.ln(5)
            line("2. Utstyr")
            for first, more in [("Lås skjermen når du går fra", "plassen din."), ("Meld tap av utstyr", None)]:
                pdf.set_x(pdf.l_margin + 5)
                pdf.cell(5, 5, "•")
                pdf.cell(0, 5, first, new_x="LMARGIN", new_y="NEXT")
                if more:
                    line(more, indent=10)
            pdf.ln(5)
            line("Brudd kan føre til at tilgangen stenges.")
        else:
            line("3. Ansvar")
            line("Leder har ansvar for at reglementet er kjent.")
    path = tmp_path / "ikt.pdf"
    pdf.output(str(path))
    guideline = read_guideline(path)
    sections = {s.number: [d.quote for d in s.drafts] for s in guideline.outline.sections}
    assert sections["1"] == ["Reglementet gjelder for hele arbeidsdagen og for alt utstyr kommunen eier."]
    # The paragraph after the list is its own entry, not glued to the last bullet.
    assert sections["2"] == [
        "Lås skjermen når du går fra plassen din.", "Meld tap av utstyr", "Brudd kan føre til at tilgangen stenges."
    ]
    assert sections["3"] == ["Leder har ansvar for at reglementet er kjent."]
    assert ("topp- eller bunntekst") in {why for _, _, why in guideline.left_out}
    assert "Fjordvik kommune – IKT-reglement" not in guideline.source_text


def test_word_list_paragraphs_numbered_by_word_are_items(tmp_path):
    docx = pytest.importorskip("docx")
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    document = docx.Document()
    document.add_heading("Utstyr", level=1)
    document.add_paragraph("Dette gjeld:")
    for text in ["Lås skjermen.", "Meld tap av utstyr."]:
        paragraph = document.add_paragraph(text, style="List Paragraph")
        numbering = OxmlElement("w:numPr")
        ilvl, num_id = OxmlElement("w:ilvl"), OxmlElement("w:numId")
        ilvl.set(qn("w:val"), "0")
        num_id.set(qn("w:val"), "999")  # a list Word numbers, format not in the file: read as bullets
        numbering.extend([ilvl, num_id])
        paragraph._p.get_or_add_pPr().append(numbering)
    path = tmp_path / "utstyr.docx"
    document.save(str(path))
    guideline = read_guideline(path)
    (section,) = guideline.outline.sections
    assert [(d.kind, d.quote) for d in section.drafts] == [
        ("list", "Dette gjeld: • Lås skjermen. • Meld tap av utstyr."),
        ("item", "Lås skjermen."),
        ("item", "Meld tap av utstyr."),
    ]
    assert normalise_for_compare(section.drafts[0].quote) in normalise_for_compare(guideline.source_text)


def test_item_titles_on_their_own_line_stay_with_their_rule_and_subheadings_are_sections():
    text = (
        "1. Formål\nInstruksen gjeld behandling av personopplysningar.\n\n"
        "2. Prinsipp\nInnsyn\nDen registrerte har rett til innsyn.\n\n"
        "Følgjande prinsipp gjeld:\n"
        "1. Lovleg behandling\nOpplysningane skal behandlast lovleg.\n"
        "2. Formålsavgrensing\nOpplysningane skal berre brukast til formålet.\n"
        "3. Lagringsavgrensing\nOpplysningane skal slettast når dei ikkje trengst.\n\n"
        "3. Ansvar\nLeiar har ansvaret.\n"
    )
    guideline = from_text(text)
    sections = {s.number: [(d.kind, d.quote) for d in s.drafts] for s in guideline.outline.sections}
    assert list(sections) == ["1", "2", "2 › Innsyn", "3"]  # the sub-heading nests under its section
    assert ("item", "Lovleg behandling Opplysningane skal behandlast lovleg.") in sections["2 › Innsyn"]
    assert ("item", "Formålsavgrensing Opplysningane skal berre brukast til formålet.") in sections["2 › Innsyn"]
    assert sections["3"] == [("sentence", "Leiar har ansvaret.")]
    _every_sentence_is_kept(text, guideline)


def test_word_bold_headings_and_typed_numbers(tmp_path):
    docx = pytest.importorskip("docx")
    document = docx.Document()
    document.add_paragraph().add_run("Passord").bold = True
    document.add_paragraph("1. Passordet skal ha minst 12 teikn.")
    document.add_paragraph("2. Del aldri passordet.")
    document.add_paragraph().add_run("E-post").bold = True
    document.add_paragraph("1. Jobb-e-posten er berre til arbeid.")
    path = tmp_path / "typed.docx"
    document.save(str(path))
    sections = {s.number: [d.quote for d in s.drafts] for s in read_guideline(path).outline.sections}
    assert sections == {
        "Passord": ["Passordet skal ha minst 12 teikn.", "Del aldri passordet."],
        "E-post": ["Jobb-e-posten er berre til arbeid."],
    }


def test_a_password_protected_pdf_is_one_clear_line(tmp_path):
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=seed_pdf(tmp_path / "seed.pdf"))
    writer.encrypt("hemmelig")
    writer.write(tmp_path / "laast.pdf")
    with pytest.raises(KnowledgeError) as error:
        read_guideline(tmp_path / "laast.pdf")
    assert error.value.problems == [f"{tmp_path / 'laast.pdf'}: PDF-filen er passordbeskyttet; lagre en kopi uten passord først"]


def test_paragraph_signs_and_chapters_are_sections_named_by_their_number(tmp_path):
    text = (
        "Kapittel 1 Innleiing\n\n§ 1 Formål\nForskrifta skal sikre trygg bruk av IT.\n\n"
        "§ 2. Teieplikt\nAlle tilsette har teieplikt.\nSjå også § 3 om brot.\n\n§ 3 Brot\nBrot vert melde til leiar.\n"
    )
    guideline = from_text(text)
    assert [(s.number, s.title) for s in guideline.outline.sections] == [
        ("Kapittel 1", "Innleiing"), ("§ 1", "Formål"), ("§ 2", "Teieplikt"), ("§ 3", "Brot")
    ]
    assert [d.quote for d in guideline.outline.sections[2].drafts] == [
        "Alle tilsette har teieplikt.", "Sjå også § 3 om brot."
    ]
    folder = empty_folder(tmp_path)
    (tmp_path / "forskrift.txt").write_text(text, encoding="utf-8")
    assert import_into(folder, tmp_path / "forskrift.txt", "forskrift") == 0
    knowledge, found = examine_folder(folder)
    assert found.errors == []
    from bot.answers import section_label

    assert section_label("§ 2", "nb") == "§ 2"


def test_two_unnumbered_headings_of_one_title_are_two_sections_and_pass_check(tmp_path):
    # A handbook with a part for staff and a part for leaders, each with the same long heading:
    # the entry ids are made from the section number cut to 24 characters, which cut off the
    # second's "(2)", so both got the same ids and check refused the fresh import.
    text = (
        "For tilsette\n\nTilgang og brukarkontroll\n\nDu får berre tilgang til dei systema du treng i arbeidet.\n\n"
        "For leiarar\n\nTilgang og brukarkontroll\n\nLeiaren skal melde frå når ein tilsett sluttar.\n"
    )
    source = tmp_path / "handbok.txt"
    source.write_text(text, encoding="utf-8")
    folder = empty_folder(tmp_path)
    assert import_into(folder, source, "handbok") == 0
    _, found = examine_folder(folder)
    assert found.errors == []
    data = yaml.safe_load((folder / "documents" / "handbok.yaml").read_text(encoding="utf-8"))
    # Each is named by the part it stands in, the heading kept as its title.
    assert [(s["number"], s["title"]) for s in data["sections"]] == [
        ("For tilsette", "For tilsette"),
        ("For tilsette › Tilgang og brukarkontroll", "Tilgang og brukarkontroll"),
        ("For leiarar", "For leiarar"),
        ("For leiarar › Tilgang og brukarkontroll", "Tilgang og brukarkontroll"),
    ]
    ids = [e["id"] for e in data["entries"]]
    assert len(ids) == len(set(ids))
    by_section = {e["section"]: e["quote"] for e in data["entries"]}
    assert by_section["For leiarar › Tilgang og brukarkontroll"] == "Leiaren skal melde frå når ein tilsett sluttar."


def test_a_repeated_heading_with_no_part_above_it_is_numbered_2():
    text = "Tilgang\n\nDu får berre tilgang til det du treng.\n\nTilgang\n\nLeiaren meldar frå når nokon sluttar.\n"
    assert [s.number for s in from_text(text).outline.sections] == ["Tilgang", "Tilgang (2)"]
