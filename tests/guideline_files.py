"""Guideline files for the import tests, made from the seed text and from a nynorsk rule text
written for these tests: a PDF (fpdf2, laid out like the original with hanging bullet indents
and a page footer), a Word file with real heading and list styles (python-docx)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "knowledge" / "sources" / "batsfjord-sosiale-medier.txt"
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")

# Written for these tests (not a real guideline): unnumbered headings, numbered lists that
# restart under each heading, a lead-in with its list, item titles on the rule's line.
NYNORSK = """\
Reglar for passord og e-post i Fjordvik kommune

Desse reglane gjeld for alle tilsette og folkevalde som har tilgang til kommunen sine IT-system.

Passord
1. Passordet skal ha minst 12 teikn.
2. Bruk ikkje same passord på jobb og privat.
3. Del aldri passordet ditt med andre, heller ikkje med IT-avdelinga.

E-post
1. Jobb-e-posten skal berre brukast til arbeid.
2. Send aldri personopplysningar ukryptert.

Tofaktor
Følgjande prinsipp gjeld for pålogging:
1. Pålogging utanfrå. Du må alltid bruke tofaktor når du loggar på utanfrå.
2. Mobil. Appen for tofaktor skal berre liggje på telefonen din.

Brot på reglane kan føre til at tilgangen blir stengd.
"""


def _seed_lines() -> list[tuple[str, str]]:
    """The seed's lines as (kind, text): "blank", "bullet", "more" (a bullet running on), "text"."""
    out: list[tuple[str, str]] = []
    in_bullet = False
    blanks = 0
    for raw in SEED.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            out.append(("blank", ""))
            blanks += 1
            continue
        if line.startswith("•"):
            in_bullet = True
            out.append(("bullet", line))
        elif in_bullet and blanks < 2 and not re.match(r"^\d+(\.\d+)*\.?\s", line):
            out.append(("more", line))
        else:
            in_bullet = False
            out.append(("text", line))
        blanks = 0
    return out


def seed_pdf(path: Path) -> Path:
    """The seed laid out as a PDF: bullets with a hanging indent, blank lines as gaps, a footer."""
    fpdf = pytest.importorskip("fpdf")
    if not FONT.exists():
        pytest.skip("the DejaVu font (for æøå, – and •) is not installed")

    class Pdf(fpdf.FPDF):
        def footer(self):
            self.set_y(-15)
            self.cell(0, 5, f"Side {self.page_no()}", align="C")

    pdf = Pdf()
    pdf.add_font("DejaVu", fname=str(FONT))
    pdf.set_font("DejaVu", size=10)
    pdf.set_title("Retningslinjer for bruk av sosiale medier")
    pdf.add_page()
    for kind, text in _seed_lines():
        if kind == "blank":
            pdf.ln(5)
            continue
        indent = {"bullet": 5, "more": 10}.get(kind, 0)
        pdf.set_x(pdf.l_margin + indent)
        if kind == "bullet":  # marker, then the text where running-on lines start
            pdf.cell(5, 5, "•")
            text = text[1:].strip()
        pdf.cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return path


def _seed_paragraphs() -> list[list[str]]:
    """The seed as [style, line, line, ...] paragraphs: a heading line (and its run-on line),
    bullets with their running-on lines, paragraphs up to a blank line."""
    paragraphs: list[list[str]] = []
    for kind, text in _seed_lines():
        heading = re.match(r"^(\d+(?:\.\d+)*)\.?\s+[A-ZÆØÅ]", text)
        last = paragraphs[-1] if paragraphs else None
        if kind == "blank":
            if last and last[0] == "Normal":
                paragraphs.append(["-"])
        elif kind == "bullet":
            paragraphs.append(["List Bullet", text[1:].strip()])
        elif heading:
            level = heading.group(1).count(".") + 1
            paragraphs.append([f"Heading {level}", text])
        elif (
            kind == "more"
            or (last and last[0] == "Normal")
            or (last and last[0].startswith("Heading") and (text.isupper() or text[:1].islower()))
        ):
            last.append(text)
        else:
            paragraphs.append(["Normal", text])
    return [p for p in paragraphs if len(p) > 1]


def _joined(lines: list[str]) -> str:
    return " ".join(lines).replace("IT- avdelingen", "IT-avdelingen")


def seed_docx(path: Path) -> Path:
    """The seed as Word would hold it: Heading 1/2 styles, List Bullet items, Normal paragraphs."""
    docx = pytest.importorskip("docx")
    document = docx.Document()
    document.add_paragraph("Retningslinjer for bruk av sosiale medier", style="Title")
    for style, *lines in _seed_paragraphs():
        document.add_paragraph(_joined(lines), style=style)
    document.save(str(path))
    return path


def seed_pdf_reportlab(path: Path) -> Path:
    """The seed typeset by ReportLab: text wrapped by the typesetter, headings in a larger bold
    font, bullets drawn apart from their text by a list flowable."""
    pytest.importorskip("reportlab")
    if not FONT.exists():
        pytest.skip("the DejaVu font (for æøå, – and •) is not installed")
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.platypus import ListFlowable, ListItem, Paragraph, SimpleDocTemplate

    pdfmetrics.registerFont(TTFont("DejaVu", str(FONT)))
    pdfmetrics.registerFont(TTFont("DejaVuBold", str(FONT.with_name("DejaVuSans-Bold.ttf"))))
    styles = getSampleStyleSheet()
    body = styles["BodyText"]
    body.fontName = "DejaVu"
    headings = {1: styles["Heading1"], 2: styles["Heading2"]}
    for style in headings.values():
        style.fontName = "DejaVuBold"
    story: list = []
    bullets: list = []
    for style, *lines in _seed_paragraphs():
        if style == "List Bullet":
            bullets.append(ListItem(Paragraph(_joined(lines), body)))
            continue
        if bullets:
            story.append(ListFlowable(bullets, bulletType="bullet", start="•", bulletFontName="DejaVu"))
            bullets = []
        level = int(style.split()[-1]) if style.startswith("Heading") else 0
        story.append(Paragraph(_joined(lines), headings[level] if level else body))
    if bullets:
        story.append(ListFlowable(bullets, bulletType="bullet", start="•", bulletFontName="DejaVu"))
    SimpleDocTemplate(str(path), pagesize=A4, title="Retningslinjer for bruk av sosiale medier").build(story)
    return path


def nynorsk_docx(path: Path) -> Path:
    """The nynorsk rules in Word: unnumbered headings in Heading 1, restarting List Number lists."""
    docx = pytest.importorskip("docx")
    document = docx.Document()
    for block in NYNORSK.strip().split("\n\n"):
        lines = block.splitlines()
        if len(lines) > 1 and not re.match(r"\d+\. ", lines[0]):
            document.add_heading(lines[0], level=1)
            lines = lines[1:]
        for line in lines:
            item = re.match(r"(\d+)\. (.*)", line)
            if item:
                document.add_paragraph(item.group(2), style="List Number")
            else:
                document.add_paragraph(line)
    document.save(str(path))
    return path
