"""Render the sample contracts in sample_docs/src/*.contract to sample_docs/<stem>.pdf.

The source format is described in sample_docs/src/FORMAT.md. The PDFs are test fixtures for
the extractor, so they imitate real typeset contracts (running headers and footers, hanging
numbering, justified and hyphenated text, tables that split across pages) and the output is
byte-for-byte deterministic, so a re-render of an unchanged source changes nothing in git.

Usage:  python sample_docs/generate.py [STEM ...]      (no STEM = every source file)
"""

from __future__ import annotations

import io
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from reportlab import rl_config

rl_config.invariant = 1  # fixed creation date and document id: re-renders are byte-identical

from reportlab.lib import colors  # noqa: E402
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT  # noqa: E402
from reportlab.lib.pagesizes import A4, LETTER  # noqa: E402
from reportlab.lib.styles import ParagraphStyle  # noqa: E402
from reportlab.lib.units import mm  # noqa: E402
from reportlab.pdfbase import pdfmetrics  # noqa: E402
from reportlab.pdfbase.ttfonts import TTFont  # noqa: E402
from reportlab.platypus import (  # noqa: E402
    BaseDocTemplate,
    Frame,
    Indenter,
    KeepTogether,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

HERE = Path(__file__).resolve().parent
SRC = HERE / "src"
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")

DIRECTIVES = {"title", "header", "header-right", "footer", "footer-left", "style", "justify",
              "heading-case"}
LIMB_STEP = 28  # points between limb levels: label of level n+1 sits under text of level n
SMALL_WORDS = {"a", "an", "and", "as", "at", "by", "for", "in", "of", "on", "or", "the", "to",
               "with"}


# --------------------------------------------------------------------------- parsing

@dataclass
class Block:
    kind: str           # H, H-, P, PH (P with heading on its own line), L1-L3, T, D, S, PART,
    args: tuple = ()    # A, SEC, cover, table, signatures, pagebreak
    line: int = 0


@dataclass
class Contract:
    stem: str
    meta: dict = field(default_factory=dict)
    blocks: list = field(default_factory=list)


class FormatError(ValueError):
    pass


def split_label(rest: str, line: int) -> tuple[str, str]:
    """`SCHEDULE 8 EXIT MANAGEMENT` -> (`SCHEDULE 8`, `EXIT MANAGEMENT`).

    A label is a word and a number or letter; the rest of the line is the title."""
    parts = rest.split(None, 2)
    if len(parts) < 2:
        raise FormatError(f"line {line}: expected '<LABEL> <number> [TITLE]', got {rest!r}")
    return f"{parts[0]} {parts[1]}", (parts[2] if len(parts) > 2 else "")


def parse(path: Path) -> Contract:
    doc = Contract(path.stem)
    lines = path.read_text(encoding="utf-8").splitlines()
    i, in_body = 0, False
    while i < len(lines):
        n, raw = i + 1, lines[i].rstrip()
        i += 1
        if not raw.strip() or raw.startswith("%"):
            continue
        if raw.startswith("@") and not in_body:
            name, _, value = raw[1:].partition(" ")
            if name not in DIRECTIVES:
                known = ", ".join(sorted(DIRECTIVES))
                raise FormatError(f"line {n}: unknown directive @{name} (known: {known})")
            doc.meta[name] = value.strip()
            continue
        in_body = True
        if raw.startswith("::"):
            kind = raw[2:].strip()
            if kind == "pagebreak":
                doc.blocks.append(Block("pagebreak", (), n))
                continue
            if kind not in ("cover", "table", "signatures"):
                raise FormatError(f"line {n}: unknown block ::{kind}")
            body = []  # collect raw lines up to ::end (blank lines matter on the cover)
            while i < len(lines) and lines[i].strip() != "::end":
                if not lines[i].startswith("%"):
                    body.append(lines[i].rstrip())
                i += 1
            if i == len(lines):
                raise FormatError(f"line {n}: ::{kind} without ::end")
            i += 1
            doc.blocks.append(Block(kind, tuple(body), n))
            continue
        tag, _, rest = raw.partition(" ")
        rest = rest.strip()
        if tag == "H":
            num, _, heading = rest.partition(" ")
            doc.blocks.append(Block("H", (num, heading.strip()), n))
        elif tag == "P":
            num, _, text = rest.partition(" ")
            text = text.strip()
            if text.startswith("|"):
                doc.blocks.append(Block("PH", (num, text[1:].strip()), n))
            else:
                doc.blocks.append(Block("P", (num, text), n))
        elif tag in ("L1", "L2", "L3"):
            label, _, text = rest.partition(" ")
            doc.blocks.append(Block(tag, (label, text.strip()), n))
        elif tag in ("H-", "T"):
            doc.blocks.append(Block(tag, (rest,), n))
        elif tag == "D":
            m = re.match(r'"([^"]+)"\s*(.*)', rest)
            if not m:
                raise FormatError(f'line {n}: expected D "<Term>" <rest>')
            doc.blocks.append(Block("D", m.groups(), n))
        elif tag in ("S", "A"):
            doc.blocks.append(Block(tag, split_label(rest, n), n))
        elif tag == "PART":  # `PART B TITLE`: the tag itself is the label word
            doc.blocks.append(Block(tag, split_label(f"PART {rest}", n), n))
        elif tag == "SEC":
            m = re.match(r"(\S+)\s+(.+?\.)(?:\s+(.*))?$", rest)
            if not m:
                raise FormatError(f"line {n}: expected SEC <num> <heading>. <text>")
            doc.blocks.append(Block("SEC", (m.group(1), m.group(2), m.group(3) or ""), n))
        else:
            raise FormatError(f"line {n}: unknown line type {tag!r}: {raw[:60]!r}")
    return doc


# --------------------------------------------------------------------------- typography

def inline(text: str) -> str:
    """Escape for reportlab's mini-markup, then turn **bold** and *italic* into tags."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)
    return re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"<i>\1</i>", text)


def title_case(text: str) -> str:
    words = text.lower().split()
    return " ".join(w if (k and w in SMALL_WORDS) else w[:1].upper() + w[1:]
                    for k, w in enumerate(words))


def register_fonts(style: str) -> tuple[str, str, str]:
    """Return (regular, bold, italic) font names for a @style preset."""
    if style == "plain":
        return "Helvetica", "Helvetica-Bold", "Helvetica-Oblique"
    if style == "uk" and (DEJAVU / "DejaVuSerif.ttf").exists():
        # UK preset uses an embedded TrueType serif, so the fixtures cover both embedded
        # fonts and the PDF base-14 fonts (Times, Helvetica) that the other presets use.
        for name, file in (("DejaVuSerif", "DejaVuSerif.ttf"),
                           ("DejaVuSerif-Bold", "DejaVuSerif-Bold.ttf"),
                           ("DejaVuSerif-Italic", "DejaVuSerif-Italic.ttf"),
                           ("DejaVuSerif-BoldItalic", "DejaVuSerif-BoldItalic.ttf")):
            if name not in pdfmetrics.getRegisteredFontNames():
                pdfmetrics.registerFont(TTFont(name, str(DEJAVU / file)))
        pdfmetrics.registerFontFamily("DejaVuSerif", normal="DejaVuSerif", bold="DejaVuSerif-Bold",
                                      italic="DejaVuSerif-Italic",
                                      boldItalic="DejaVuSerif-BoldItalic")
        return "DejaVuSerif", "DejaVuSerif-Bold", "DejaVuSerif-Italic"
    return "Times-Roman", "Times-Bold", "Times-Italic"


class Styles:
    """All paragraph styles of one document, derived from @style and @justify."""

    def __init__(self, meta: dict):
        self.preset = meta.get("style", "uk")
        if self.preset not in ("uk", "us", "plain"):
            raise FormatError(f"@style must be uk, us or plain, not {self.preset!r}")
        self.regular, self.bold, self.italic = register_fonts(self.preset)
        self.size = {"uk": 9.6, "us": 11.0, "plain": 9.8}[self.preset]
        self.caps = meta.get("heading-case", "caps" if self.preset == "uk" else "title") == "caps"
        justify = meta.get("justify", "")
        body = dict(fontName=self.regular, fontSize=self.size, leading=self.size * 1.38,
                    spaceAfter=self.size * 0.6, allowWidows=0, allowOrphans=0,
                    bulletFontName=self.regular, bulletFontSize=self.size)
        if justify in ("hyphenate", "yes", "on"):
            body["alignment"] = TA_JUSTIFY
        if justify == "hyphenate":
            # reportlab asks pyphen for break points whenever a word overflows the line;
            # a 7-letter minimum keeps short words whole, as a typesetter would.
            body["hyphenationLang"] = "en_US" if self.preset == "us" else "en_GB"
            body["hyphenationMinWordLength"] = 7
        self.body = ParagraphStyle("body", **body)
        self.heading = ParagraphStyle("heading", parent=self.body, fontName=self.bold,
                                      bulletFontName=self.bold, alignment=TA_LEFT,
                                      hyphenationLang="", spaceBefore=self.size * 0.9,
                                      keepWithNext=1)
        self.centred = ParagraphStyle("centred", parent=self.heading, alignment=TA_CENTER,
                                      spaceBefore=0, fontSize=self.size * 1.15,
                                      leading=self.size * 1.6)
        self.cell = ParagraphStyle("cell", parent=self.body, fontSize=self.size * 0.9,
                                   leading=self.size * 1.15, alignment=TA_LEFT,
                                   hyphenationLang="", spaceAfter=0)
        self.cell_head = ParagraphStyle("cellhead", parent=self.cell, fontName=self.bold)

    def hanging(self, base: float, width: float, heading: bool = False) -> ParagraphStyle:
        """A style whose label hangs at `base` and whose text starts at `base + width`."""
        parent = self.heading if heading else self.body
        return ParagraphStyle(f"hang{base}-{width}-{heading}", parent=parent,
                              leftIndent=base + width, bulletIndent=base)

    def indented(self, left: float) -> ParagraphStyle:
        return ParagraphStyle(f"ind{left}", parent=self.body, leftIndent=left)

    def heading_text(self, text: str) -> str:
        return text.upper() if self.caps else title_case(text)


# --------------------------------------------------------------------------- layout

def numbered_indent(num: str) -> tuple[float, float]:
    """(label position, text position) for a clause number: 1 and 1.1 hang at the margin,
    1.1.1 under the text of 1.1, 1.1.1.1 one step further (UK hanging-indent convention)."""
    depth = num.rstrip(".").count(".")
    return {0: (0, 36), 1: (0, 36), 2: (36, 82)}.get(depth, (82, 134))


def build_story(doc: Contract, st: Styles, frame_width: float) -> list:
    story: list = []
    base = 0.0          # text indent of the current numbered paragraph; limbs hang from it
    after_break = True  # avoid a blank page when a schedule follows an explicit page break

    def add(flowable, breaks=False):
        nonlocal after_break
        story.append(flowable)
        after_break = breaks

    for b in doc.blocks:
        k, a = b.kind, b.args
        if k == "cover":
            story.append(Spacer(1, 55 * mm))
            big = ParagraphStyle("coverbig", parent=st.centred, fontSize=st.size * 2,
                                 leading=st.size * 2.6)
            plain = ParagraphStyle("cover", parent=st.body, alignment=TA_CENTER,
                                   fontSize=st.size * 1.1, leading=st.size * 1.6)
            for line in a:
                if not line.strip():
                    story.append(Spacer(1, st.size * 1.4))
                elif line.startswith("#"):
                    story.append(Paragraph(inline(line.lstrip("#").strip()), big))
                else:
                    story.append(Paragraph(inline(line.strip()), plain))
            story += [NextPageTemplate("body")]
            add(PageBreak(), breaks=True)
        elif k == "pagebreak":
            if not after_break:
                add(PageBreak(), breaks=True)
        elif k == "H":
            num, heading = a
            label = num if st.preset == "us" else num.rstrip(".") + "."
            base = 0
            add(Paragraph(inline(st.heading_text(heading)), st.hanging(0, 36, True),
                          bulletText=label))
        elif k == "H-":
            base = 0
            add(Paragraph(inline(a[0]), st.heading))
        elif k in ("P", "PH"):
            num, text = a
            label_at, base = numbered_indent(num)
            # PH: the heading stands on its own line, bold; its body follows in T lines
            add(Paragraph(inline(text), st.hanging(label_at, base - label_at, k == "PH"),
                          bulletText=num))
        elif k in ("L1", "L2", "L3"):
            level = int(k[1])
            label_at = base + LIMB_STEP * (level - 1)
            add(Paragraph(inline(a[1]), st.hanging(label_at, LIMB_STEP), bulletText=a[0]))
        elif k == "T":
            add(Paragraph(inline(a[0]), st.indented(base)))
        elif k == "D":
            term, rest = a
            add(Paragraph(f"<b>“{inline(term)}”</b> {inline(rest)}", st.indented(base)))
        elif k in ("S", "A"):
            label, title = a
            base = 0
            if k == "S" and not after_break:
                add(PageBreak(), breaks=True)
            if k == "A":
                story.append(Spacer(1, st.size))
            head = ParagraphStyle("sched", parent=st.centred, spaceAfter=st.size * 0.2)
            story.append(Paragraph(inline(label), head))
            if title:
                story.append(Paragraph(inline(title), head))
            add(Spacer(1, st.size * 1.2))
        elif k == "PART":
            label, title = a
            base = 0
            text = f"{label}: {title}" if title else label
            add(Paragraph(inline(text), ParagraphStyle("part", parent=st.heading,
                                                       spaceBefore=st.size * 1.4)))
        elif k == "SEC":
            num, heading, text = a
            base = 0
            add(Paragraph(f"<b>Section {num}</b>  <u>{inline(heading[:-1])}</u>. {inline(text)}",
                          st.body))
        elif k == "table":
            # a table inside a numbered paragraph lines up with that paragraph's text
            add(Indenter(left=base))
            for f in make_table(a, st, frame_width - base, b.line):
                add(f)
            add(Indenter(left=-base))
        elif k == "signatures":
            for f in make_signatures(a, st, frame_width):
                add(f)
    return story


def make_table(lines: tuple, st: Styles, width: float, line_no: int) -> list:
    rows = [ln for ln in lines if ln.strip()]
    widths = None
    if rows and rows[0].startswith("cols:"):
        widths = [float(x) for x in rows.pop(0)[5:].split(",")]
    cells = [[c.strip() for c in r.split("|")] for r in rows]  # empty cells allowed
    ncol = len(cells[0]) if cells else 0
    if not cells or any(len(r) != ncol for r in cells):
        raise FormatError(f"line {line_no}: table rows must all have {ncol} cells")
    widths = widths or [100 / ncol] * ncol
    col_w = [width * w / sum(widths) for w in widths]
    data = [[Paragraph(inline(c), st.cell_head if r == 0 else st.cell) for c in row]
            for r, row in enumerate(cells)]
    table = Table(data, colWidths=col_w, repeatRows=1, hAlign="LEFT")  # header repeats on split
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.88, 0.88, 0.88)),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 4), ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]))
    return [Spacer(1, 2), table, Spacer(1, st.size * 0.8)]


def make_signatures(lines: tuple, st: Styles, width: float) -> list:
    out = [Spacer(1, st.size)]
    for ln in (x for x in lines if x.strip()):
        party, _, title = (p.strip() for p in ln.partition("|"))
        left = Paragraph(f"Signed for and on behalf of<br/><b>{inline(party)}</b><br/>"
                         f"by its {inline(title)}", st.cell)
        right = Paragraph("……………………………………………<br/>Signature<br/><br/>Name: "
                          "……………………………………<br/><br/>Date: ……………………………………", st.cell)
        t = Table([[left, right]], colWidths=[width * 0.5, width * 0.5], hAlign="LEFT")
        t.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), st.size * 2.2)]))
        out.append(KeepTogether([t]))
    return out


# --------------------------------------------------------------------------- pages

def page_decorator(doc: Contract, st: Styles, total: int):
    """Draw the running header and footer; `{page}`/`{pages}` are the physical page numbers."""
    meta = doc.meta

    def draw(canvas, pdf):
        page = canvas.getPageNumber()
        sub = {"page": str(page), "pages": str(total)}

        def fmt(key):
            return re.sub(r"\{(pages?)\}", lambda m: sub[m.group(1)], meta.get(key, ""))

        w, h = pdf.pagesize
        lm, rm = pdf.leftMargin, w - pdf.rightMargin
        canvas.saveState()
        canvas.setFont(st.italic, 7.8)
        top = h - pdf.topMargin + 9 * mm
        if fmt("header"):
            canvas.drawString(lm, top, fmt("header"))
        if fmt("header-right"):
            canvas.setFont(st.bold, 7.8)
            canvas.drawRightString(rm, top, fmt("header-right"))
        if fmt("header") or fmt("header-right"):
            canvas.setLineWidth(0.4)
            canvas.line(lm, top - 3, rm, top - 3)
        bottom = pdf.bottomMargin - 11 * mm
        canvas.setFont(st.regular, 7.8)
        if fmt("footer-left"):
            canvas.drawString(lm, bottom, fmt("footer-left"))
            canvas.drawRightString(rm, bottom, fmt("footer"))  # keep both legible, no overlap
        elif fmt("footer"):
            canvas.drawCentredString(w / 2, bottom, fmt("footer"))
        canvas.restoreState()

    return draw


def render_pass(doc: Contract, st: Styles, out, total: int) -> int:
    """Lay the document out once; returns the number of pages produced."""
    pagesize = LETTER if st.preset == "us" else A4
    margins = dict(leftMargin=25 * mm, rightMargin=25 * mm, topMargin=25 * mm,
                   bottomMargin=25 * mm)
    pdf = BaseDocTemplate(out, pagesize=pagesize, title=doc.meta.get("title", doc.stem),
                          author="obligations sample generator", subject=doc.meta.get("title"),
                          creator="sample_docs/generate.py", producer="reportlab",
                          invariant=1, pageCompression=1, **margins)
    frame = Frame(pdf.leftMargin, pdf.bottomMargin, pdf.width, pdf.height, id="body",
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
    templates = []
    if any(b.kind == "cover" for b in doc.blocks):  # the cover page has no header or footer
        templates.append(PageTemplate("cover", [frame], pagesize=pagesize))
    templates.append(PageTemplate("body", [frame], onPage=page_decorator(doc, st, total),
                                  pagesize=pagesize))
    pdf.addPageTemplates(templates)
    pdf.build(build_story(doc, st, pdf.width))
    return pdf.page


def render(path: Path) -> Path:
    doc = parse(path)
    st = Styles(doc.meta)
    # Two passes: the first only counts pages so that the footer can print "of {pages}";
    # the header and footer are drawn outside the frames, so the layout cannot change.
    total = render_pass(doc, st, io.BytesIO(), 0)
    out = io.BytesIO()
    if render_pass(doc, st, out, total) != total:
        raise RuntimeError(f"{path.name}: page count changed between passes")
    target = HERE / f"{path.stem}.pdf"
    target.write_bytes(out.getvalue())
    print(f"{target.relative_to(HERE.parent)}: {total} pages")
    return target


def main(argv: list[str]) -> int:
    stems = argv or sorted(p.stem for p in SRC.glob("*.contract"))
    failed = 0
    for stem in stems:
        path = SRC / f"{stem.removesuffix('.contract')}.contract"
        try:
            render(path)
        except (FormatError, FileNotFoundError) as exc:
            print(f"{path.name}: {exc}", file=sys.stderr)
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
