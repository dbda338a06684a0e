"""Render the records management contract through LibreOffice, not reportlab.

The other sample PDFs come from sample_docs/generate.py (reportlab). This one is written as
an OpenDocument text file and converted by LibreOffice Writer, so that the extractor also
meets a PDF made by a different producer: an older, typewritten-looking document with a
monospace font, an off-white page, LibreOffice's own header and footer (page and page-count
fields, "Sheet 3 of 7") and clause numbers typed into the text (`Clause 9`, `9.1`, `(a)`).

    python sample_docs/render_odt.py          # writes src/records_management_services.fodt
                                              # and records_management_services.pdf

Needs `soffice` (Debian: libreoffice-writer-nogui) and the Liberation Mono font. The flat
ODT is regenerated from CONTRACT below on every run; edit the text here, not in the .fodt.
LibreOffice stamps the PDF with the time of conversion and a random document id; both are
overwritten with fixed values of the same length, so re-renders of the same text on the same
LibreOffice version give the same bytes.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent
STEM = "records_management_services"
FODT = HERE / "src" / f"{STEM}.fodt"
PDF = HERE / f"{STEM}.pdf"
FIXED_DATE = b"20250602090000"  # the contract date, stamped as the PDF's creation date

# --------------------------------------------------------------------------- the contract
# Each entry is (kind, *args):
#   title TEXT          centred, bold            centre TEXT      centred
#   para TEXT           body paragraph           head LABEL TITLE  clause heading, underlined
#   sub NUM TEXT        numbered sub-clause: number typed, then a tab (hanging indent)
#   limb LABEL TEXT     (a)/(i) limb under a sub-clause        def TERM TEXT   definition
#   gap                 an empty line            sig PARTY       typed signature block
# Text may contain **bold**; quotes and dashes are typed as they should print.

CONTRACT: list[tuple] = [
    ("title", "BIRCHESTER CITY COUNCIL"),
    ("centre", "LEGAL AND DEMOCRATIC SERVICES"),
    ("gap",),
    ("title", "CONTRACT FOR RECORDS MANAGEMENT SERVICES"),
    ("centre", "Contract No. BCC/RM/0457"),
    ("gap",),
    ("para", "THIS CONTRACT is made on the 2nd day of June 2025"),
    ("para", "BETWEEN"),
    ("para", "(1) BIRCHESTER CITY COUNCIL of the Council House, Victoria Square, Birchester "
             "BC1 1AA (hereinafter called “the Council”) of the one part; and"),
    ("para", "(2) LARKSPUR RECORDS MANAGEMENT LTD (Company No. 03391742) whose registered "
             "office is at Larkspur House, Canal Side Industrial Estate, Stourford ST9 4QP "
             "(hereinafter called “the Contractor”) of the other part."),
    ("para", "WHEREAS the Council holds paper records, files and deeds which were until now "
             "stored and managed for it under its information technology joint venture, and "
             "wishes the Contractor to store and manage them on the terms set out below."),
    ("para", "NOW IT IS HEREBY AGREED as follows:"),

    ("head", "Clause 1", "DEFINITIONS"),
    ("sub", "1.1", "In this Contract the following words have the meanings shown:"),
    ("def", "“Records”", "means all boxes, files, deeds, plans, microfiche and other documents "
            "of the Council collected by or delivered to the Contractor, together with any "
            "scanned images of them made by the Contractor;"),
    ("def", "“Index”", "means the Contractor’s electronic index of the Records, showing for "
            "each box and file its barcode, description, location and retention date;"),
    ("def", "“Council Data”", "means the Index, all scanned images of Records, all "
            "retrieval and movement logs and any other data of the Council held by the "
            "Contractor;"),
    ("def", "“Premises”", "means the Contractor’s records storage facility at Larkspur "
            "House, Stourford, or such other premises as the Council may approve in writing;"),
    ("def", "“Return Plan”", "has the meaning given in Clause 10.1;"),
    ("def", "“Termination Date”", "means the date of expiry of this Contract or of its "
            "earlier termination in accordance with Clause 9;"),
    ("def", "“Working Day”", "means any day other than a Saturday, a Sunday or a bank "
            "holiday in England."),
    ("sub", "1.2", "The headings in this Contract are for convenience only and shall not "
           "affect its interpretation. Words in the singular include the plural."),

    ("head", "Clause 2", "THE SERVICES"),
    ("sub", "2.1", "The Contractor shall collect the Records from the Council’s offices, "
           "and shall store, index, retrieve and deliver them, in accordance with this "
           "Contract and the Council’s reasonable instructions from time to time."),
    ("sub", "2.2", "The Contractor shall deliver any Record requested by the Council’s "
           "Records Manager to the Council House within one (1) Working Day of the request, "
           "or within four (4) hours of the request where it is marked “urgent”."),
    ("sub", "2.3", "The Contractor shall scan any Record on request and shall make the "
           "scanned image available to the Council through its secure web portal within "
           "four (4) hours of the request. Scanned images shall be kept on the portal for "
           "ninety (90) days and then removed."),
    ("sub", "2.4", "The Contractor shall keep the Index complete and up to date at all "
           "times, and shall send the Council a full copy of the Index in CSV format on the "
           "first Working Day of each quarter."),
    ("sub", "2.5", "The Contractor shall not destroy any Record during the term of this "
           "Contract except on the written instruction of the Council’s Records Manager. "
           "Records which have passed their retention date shall be listed in a monthly "
           "report to the Council for review."),

    ("sub", "2.6", "The Contractor shall provide the Council with a management report on "
           "or before the tenth (10th) Working Day of each month, showing the number of boxes "
           "held, the retrievals made, the time taken to complete each retrieval and any "
           "Record which could not be found. The Council’s Records Manager and the "
           "Contractor’s account manager shall meet quarterly to review the report."),

    ("head", "Clause 3", "STORAGE AND SECURITY"),
    ("sub", "3.1", "The Contractor shall store the Records at the Premises in conditions "
           "that meet PD 5454:2012 and shall hold certification to BS EN 15713 and to ISO/IEC "
           "27001 throughout the term of this Contract."),
    ("sub", "3.2", "The Contractor shall not move the Records from the Premises, except "
           "for delivery to the Council, without the prior written consent of the Council."),
    ("sub", "3.3", "The Contractor shall notify the Council within one (1) Working Day of "
           "discovering that any Record has been lost, damaged or accessed without "
           "authority, and shall use its best endeavours to recover it."),
    ("sub", "3.4", "The Contractor shall maintain at the Premises an automatic fire "
           "detection and suppression system, intruder alarms monitored at all times and a "
           "programme of pest control, and shall permit the Council to inspect the Premises "
           "on reasonable notice during normal working hours."),

    ("head", "Clause 4", "PERIOD OF CONTRACT"),
    ("para", "This Contract shall commence on 1 July 2025 and shall continue for a period "
             "of four (4) years unless determined earlier in accordance with Clause 9. The "
             "Council may extend this Contract for one further period of up to two (2) years "
             "by giving the Contractor not less than three (3) months’ written notice prior "
             "to the expiry of the said period of four (4) years."),

    ("head", "Clause 5", "CHARGES AND PAYMENT"),
    ("sub", "5.1", "The Council shall pay the Contractor for the Services at the rates "
           "below, which are fixed for the first two (2) years of this Contract:"),
    ("limb", "(a)", "storage: £0.31 per standard box per week;"),
    ("limb", "(b)", "retrieval and delivery: £4.75 per file, or £19.00 per urgent request;"),
    ("limb", "(c)", "scanning: £0.08 per page."),
    ("sub", "5.2", "The Contractor shall submit its invoice monthly in arrears and the "
           "Council shall pay each correct invoice within thirty (30) days of its receipt."),
    ("sub", "5.3", "No permanent withdrawal fee, destruction fee or handling charge shall "
           "be made by the Contractor for the return or destruction of Records under "
           "Clause 10."),

    ("head", "Clause 6", "CONFIDENTIALITY AND DATA PROTECTION"),
    ("sub", "6.1", "The Contractor shall treat the Records and the Council Data as "
           "confidential and shall not disclose them to any person other than its employees "
           "who need access to them in order to perform this Contract."),
    ("sub", "6.2", "The Contractor shall process any personal data contained in the Records "
           "and the Council Data only on the documented instructions of the Council and in "
           "accordance with the UK GDPR and the Data Protection Act 2018, and shall assist "
           "the Council in responding to requests from data subjects within five (5) Working "
           "Days of receiving them."),

    ("head", "Clause 7", "STAFF"),
    ("sub", "7.1", "The Contractor shall ensure that every person who handles the Records "
           "has passed a basic disclosure check and has been trained in the handling of "
           "confidential waste and records."),

    ("head", "Clause 8", "LIABILITY AND INSURANCE"),
    ("sub", "8.1", "The Contractor shall be liable for the loss of or damage to any Record "
           "while it is in the Contractor’s custody, up to a limit of £1,000,000 for any one "
           "event."),
    ("sub", "8.2", "The Contractor shall maintain public liability insurance of not less "
           "than £5,000,000 and professional indemnity insurance of not less than "
           "£2,000,000, and shall produce the policies to the Council on request."),
    ("sub", "8.3", "Neither party shall be liable to the other for any indirect or "
           "consequential loss, save that the cost of reconstructing lost Records shall be "
           "treated as direct loss."),

    ("head", "Clause 9", "TERMINATION"),
    ("sub", "9.1", "Either party may terminate this Contract by giving to the other not "
           "less than six (6) months’ notice in writing."),
    ("sub", "9.2", "The Council may terminate this Contract by notice in writing to the "
           "Contractor if the Contractor:"),
    ("limb", "(a)", "commits a material breach of this Contract which, if capable of "
            "remedy, it fails to remedy within fourteen (14) days after being required in "
            "writing to do so;"),
    ("limb", "(b)", "becomes insolvent, has a receiver or administrator appointed, or "
            "enters into any composition with its creditors; or"),
    ("limb", "(c)", "loses or damages more than ten (10) Records in any period of twelve "
            "(12) months."),
    ("sub", "9.3", "If the Contractor ceases to hold certification to BS EN 15713, the "
           "Council may terminate this Contract forthwith by notice in writing to the "
           "Contractor."),
    ("sub", "9.4", "The Contractor shall not be entitled to terminate this Contract except "
           "in accordance with Clause 9.1."),
    ("sub", "9.5", "The Council may withdraw any class of Records from the Services on one "
           "(1) month’s notice in writing. The charges shall be reduced accordingly."),
    ("sub", "9.6", "Termination shall be without prejudice to the rights of either party "
           "which have accrued before the Termination Date, and Clauses 6, 8 and 10 shall "
           "survive termination."),

    ("head", "Clause 10", "RETURN OF RECORDS ON EXPIRY OR TERMINATION"),
    ("sub", "10.1", "Within twenty (20) Working Days after the service of any notice of "
            "termination or of the Council’s decision not to extend this Contract, the "
            "Contractor shall submit to the Council a draft plan for the return of the "
            "Records (the “Return Plan”), together with a complete copy of the Index."),
    ("sub", "10.2", "The Contractor shall return all Records to the Council, or deliver "
            "them to such replacement contractor as the Council may nominate, in accordance "
            "with the Return Plan and in any event not later than the Termination Date."),
    ("sub", "10.3", "Records shall be returned in their original boxes, bearing their "
            "original barcodes, and accompanied by a consignment note listing every box and "
            "file."),
    ("sub", "10.4", "The Contractor shall deliver to the Council a final export of the "
            "Index in CSV format and of all scanned images in PDF/A format within ten (10) "
            "Working Days after the Termination Date."),
    ("sub", "10.5", "Where the Council so instructs in writing, the Contractor shall destroy "
            "the Records specified in the instruction by cross-cut shredding or pulping in "
            "accordance with BS EN 15713 instead of returning them. The Contractor shall "
            "issue to the Council a certificate of destruction for each batch of Records "
            "destroyed within five (5) Working Days of the destruction."),
    ("sub", "10.6", "The Contractor shall securely delete all Council Data held on its "
            "systems within thirty (30) days after receipt of the Council’s written "
            "confirmation that all Records and the final export of the Index have been "
            "received. Such deletion shall be confirmed to the Council in writing."),
    ("sub", "10.7", "The Council may inspect the Premises at any time before the "
            "Termination Date to verify that all Records have been located and prepared for "
            "return."),
    ("sub", "10.8", "The Contractor shall continue to store and protect all Records not yet "
            "returned in accordance with this Contract, and the Council shall continue to pay "
            "the storage charges for them."),
    ("sub", "10.9", "The Contractor shall co-operate with any replacement contractor "
            "nominated by the Council and shall allow it to inspect the Records at the "
            "Premises on not less than five (5) Working Days’ notice."),

    ("head", "Clause 11", "GENERAL"),
    ("sub", "11.1", "Any notice under this Contract shall be in writing and shall be "
            "delivered by hand or sent by first class post to the address of the party "
            "given above."),
    ("sub", "11.2", "The Contractor acknowledges that the Council is subject to the Freedom "
            "of Information Act 2000 and shall assist the Council in complying with any "
            "request for information within ten (10) Working Days."),
    ("sub", "11.3", "The Contractor shall not assign or sub-contract this Contract or any "
            "part of it without the previous consent in writing of the Council."),
    ("sub", "11.4", "Any dispute arising under this Contract shall be referred in the first "
            "instance to the Council’s Head of Legal Services and a director of the "
            "Contractor, who shall meet within ten (10) Working Days of the referral to "
            "resolve it."),
    ("sub", "11.5", "This Contract shall be governed by the law of England and Wales."),
    ("gap",),
    ("para", "IN WITNESS whereof the parties have executed this Contract the day and year "
             "first above written."),
    ("gap",),
    ("sig", "BIRCHESTER CITY COUNCIL"),
    ("sig", "LARKSPUR RECORDS MANAGEMENT LTD"),
]

HEADER = "BIRCHESTER CITY COUNCIL — LEGAL SERVICES\tFILE COPY"
FOOTER = "Records Management Services — Contract No. BCC/RM/0457 — Sheet "

# --------------------------------------------------------------------------- flat ODT

NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" '
    'xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0"'
)

STYLES = """
 <office:font-face-decls>
  <style:font-face style:name="Liberation Mono" svg:font-family="'Liberation Mono'"
   style:font-family-generic="modern" style:font-pitch="fixed"/>
 </office:font-face-decls>
 <office:styles>
  <style:default-style style:family="paragraph">
   <style:paragraph-properties fo:hyphenation-ladder-count="no-limit"/>
   <style:text-properties style:font-name="Liberation Mono" fo:font-size="10pt"
    fo:color="#262626" fo:language="en" fo:country="GB" fo:hyphenate="false"/>
  </style:default-style>
  <style:style style:name="Standard" style:family="paragraph">
   <style:paragraph-properties fo:margin-top="0cm" fo:margin-bottom="0.21cm"
    fo:line-height="125%" fo:text-align="start" fo:orphans="2" fo:widows="2"/>
  </style:style>
  <style:style style:name="Title" style:family="paragraph" style:parent-style-name="Standard">
   <style:paragraph-properties fo:text-align="center" fo:margin-bottom="0.1cm"/>
   <style:text-properties fo:font-weight="bold" style:text-underline-style="none"/>
  </style:style>
  <style:style style:name="Centre" style:family="paragraph" style:parent-style-name="Standard">
   <style:paragraph-properties fo:text-align="center"/>
  </style:style>
  <style:style style:name="ClauseHead" style:family="paragraph" style:parent-style-name="Standard">
   <style:paragraph-properties fo:margin-top="0.42cm" fo:margin-bottom="0.21cm"
    fo:keep-with-next="always"/>
   <style:text-properties fo:font-weight="bold"/>
  </style:style>
  <style:style style:name="Sub" style:family="paragraph" style:parent-style-name="Standard">
   <style:paragraph-properties fo:margin-left="1.6cm" fo:text-indent="-1.6cm">
    <style:tab-stops><style:tab-stop style:position="0cm"/></style:tab-stops>
   </style:paragraph-properties>
  </style:style>
  <style:style style:name="Limb" style:family="paragraph" style:parent-style-name="Standard">
   <style:paragraph-properties fo:margin-left="2.8cm" fo:text-indent="-1.2cm">
    <style:tab-stops><style:tab-stop style:position="0cm"/></style:tab-stops>
   </style:paragraph-properties>
  </style:style>
  <style:style style:name="Def" style:family="paragraph" style:parent-style-name="Standard">
   <style:paragraph-properties fo:margin-left="1.6cm"/>
  </style:style>
  <style:style style:name="Sig" style:family="paragraph" style:parent-style-name="Standard">
   <style:paragraph-properties fo:margin-bottom="0cm" fo:keep-with-next="always"/>
  </style:style>
  <style:style style:name="Header" style:family="paragraph" style:parent-style-name="Standard">
   <style:paragraph-properties fo:margin-bottom="0cm" fo:border-bottom="0.5pt solid #595959"
    fo:padding-bottom="0.05cm">
    <style:tab-stops><style:tab-stop style:position="16cm" style:type="right"/></style:tab-stops>
   </style:paragraph-properties>
   <style:text-properties fo:font-size="8pt" fo:color="#404040"/>
  </style:style>
  <style:style style:name="Footer" style:family="paragraph" style:parent-style-name="Standard">
   <style:paragraph-properties fo:margin-bottom="0cm" fo:text-align="center"/>
   <style:text-properties fo:font-size="8pt" fo:color="#404040"/>
  </style:style>
  <style:style style:name="Strong" style:family="text">
   <style:text-properties fo:font-weight="bold"/>
  </style:style>
  <style:style style:name="Underline" style:family="text">
   <style:text-properties style:text-underline-style="solid" style:text-underline-width="auto"
    style:text-underline-color="font-color"/>
  </style:style>
 </office:styles>
 <office:automatic-styles>
  <style:page-layout style:name="pm1">
   <style:page-layout-properties fo:page-width="21cm" fo:page-height="29.7cm"
    style:print-orientation="portrait" fo:margin-top="1.3cm" fo:margin-bottom="1.3cm"
    fo:margin-left="2.5cm" fo:margin-right="2.5cm" fo:background-color="#efece2">
    <style:background-image/>
   </style:page-layout-properties>
   <style:header-style>
    <style:header-footer-properties fo:min-height="0.6cm" fo:margin-bottom="0.7cm"/>
   </style:header-style>
   <style:footer-style>
    <style:header-footer-properties fo:min-height="0.6cm" fo:margin-top="0.7cm"/>
   </style:footer-style>
  </style:page-layout>
 </office:automatic-styles>
"""


def runs(text: str) -> str:
    """Escape text and turn **bold** into a span."""
    out = escape(text)
    return re.sub(r"\*\*(.+?)\*\*", r'<text:span text:style-name="Strong">\1</text:span>', out)


def body_xml() -> str:
    out = []
    for kind, *args in CONTRACT:
        if kind == "title":
            out.append(f'<text:p text:style-name="Title">{runs(args[0])}</text:p>')
        elif kind == "centre":
            out.append(f'<text:p text:style-name="Centre">{runs(args[0])}</text:p>')
        elif kind == "gap":
            out.append('<text:p text:style-name="Standard"/>')
        elif kind == "para":
            out.append(f'<text:p text:style-name="Standard">{runs(args[0])}</text:p>')
        elif kind == "head":
            label, title = args
            out.append(f'<text:p text:style-name="ClauseHead">{escape(label)}'
                       f'<text:s text:c="2"/><text:span text:style-name="Underline">'
                       f'{escape(title)}</text:span></text:p>')
        elif kind == "sub":
            num, text = args
            out.append(f'<text:p text:style-name="Sub">{escape(num)}<text:tab/>'
                       f'{runs(text)}</text:p>')
        elif kind == "limb":
            label, text = args
            out.append(f'<text:p text:style-name="Limb">{escape(label)}<text:tab/>'
                       f'{runs(text)}</text:p>')
        elif kind == "def":
            term, text = args
            out.append(f'<text:p text:style-name="Def"><text:span text:style-name="Strong">'
                       f'{escape(term)}</text:span> {runs(text)}</text:p>')
        elif kind == "sig":
            party = escape(args[0])
            for line in (f"SIGNED for and on behalf of {party}", "",
                         "Signature: ..................................",
                         "Name:      ..................................",
                         "Position:  ..................................",
                         "Date:      .................................."):
                out.append(f'<text:p text:style-name="Sig">{line}</text:p>' if line
                           else '<text:p text:style-name="Sig"/>')
            out.append('<text:p text:style-name="Standard"/>')
        else:
            raise ValueError(f"unknown entry kind {kind!r}")
    return "\n   ".join(out)


PAGE_OF = ('<text:page-number text:select-page="current">1</text:page-number> of '
           '<text:page-count>1</text:page-count>')


def fodt() -> str:
    head, _, right = HEADER.partition("\t")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<office:document {NS} office:version="1.3"
 office:mimetype="application/vnd.oasis.opendocument.text">
 <office:meta>
  <dc:title>Contract for Records Management Services — BCC/RM/0457</dc:title>
  <meta:initial-creator>Birchester City Council</meta:initial-creator>
  <meta:creation-date>2025-06-02T09:00:00</meta:creation-date>
  <dc:date>2025-06-02T09:00:00</dc:date>
 </office:meta>{STYLES}
 <office:master-styles>
  <style:master-page style:name="Standard" style:page-layout-name="pm1">
   <style:header>
    <text:p text:style-name="Header">{escape(head)}<text:tab/>{escape(right)}</text:p>
   </style:header>
   <style:footer>
    <text:p text:style-name="Footer">{escape(FOOTER)}{PAGE_OF}</text:p>
   </style:footer>
  </style:master-page>
 </office:master-styles>
 <office:body>
  <office:text>
   {body_xml()}
  </office:text>
 </office:body>
</office:document>
"""


# --------------------------------------------------------------------------- conversion

def fix_pdf(data: bytes) -> bytes:
    """Overwrite the conversion time, the random /ID and the /DocChecksum (which covers the
    time) with fixed values of equal length,
    so that the cross-reference offsets stay valid."""
    data = re.sub(rb"(/(?:CreationDate|ModDate)\s*\(D:)\d{14}",
                  lambda m: m.group(1) + FIXED_DATE, data)
    data = re.sub(rb"(/DocChecksum\s*/)([0-9A-Fa-f]+)",
                  lambda m: m.group(1) + b"0" * len(m.group(2)), data)
    return re.sub(rb"/ID\s*\[\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*\]",
                  lambda m: m.group(0).replace(m.group(1), b"0" * len(m.group(1)))
                  .replace(m.group(2), b"0" * len(m.group(2))), data)


def convert() -> Path:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        raise SystemExit("soffice not found: install libreoffice-writer-nogui")
    with tempfile.TemporaryDirectory(prefix="render_odt_") as tmp:
        # a private profile, so that a LibreOffice already running elsewhere is not reused
        profile = Path(tmp, "profile").as_uri()
        env = dict(os.environ, SOURCE_DATE_EPOCH="1748854800")
        subprocess.run([soffice, f"-env:UserInstallation={profile}", "--headless",
                        "--convert-to", "pdf:writer_pdf_Export", "--outdir", tmp, str(FODT)],
                       check=True, env=env, stdout=subprocess.DEVNULL, timeout=300)
        produced = Path(tmp, f"{STEM}.pdf")
        if not produced.exists():
            raise SystemExit("LibreOffice did not produce a PDF")
        data = produced.read_bytes()
    fixed = fix_pdf(data)
    if len(fixed) != len(data):
        fixed = data  # never corrupt the xref table: keep the original if lengths differ
    PDF.write_bytes(fixed)
    return PDF


def main() -> int:
    FODT.write_text(fodt(), encoding="utf-8")
    pdf = convert()
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes()))
    print(f"{FODT.relative_to(HERE.parent)}; {pdf.relative_to(HERE.parent)}: {pages} pages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
