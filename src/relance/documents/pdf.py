"""Reminder letters and account statements as PDF (A4, for DL/C5 window envelopes).

The recipient's address sits in the window zone (110 mm from the left, 50 mm from the
top); the sender's letterhead and legal mentions are top left; the `footer` lines (legal
mentions, the R124-4 block of a collection agency) and "Page i/n" are printed on every
page of each letter. Amounts are Decimal, written the French way by `relance.i18n`.

>>> from datetime import date
>>> from decimal import Decimal
>>> sender = Party("Atelier Dupont SARL", ("12 rue des Lilas", "75011 Paris"),
...                ("SARL au capital de 8 000 €", "RCS Paris 732 829 320"))
>>> client = Party("Boulangerie Martin", ("3 place du Marché", "69002 Lyon"))
>>> letter = Letter(sender=sender, recipient=client, place="Paris", on=date(2026, 11, 23),
...                 subject="Facture F1 impayée", paragraphs=("Madame, Monsieur,",),
...                 total_due=Decimal("1234.56"), footer=("Atelier Dupont SARL, RCS Paris",))
>>> render_letter(letter)[:5]
b'%PDF-'
"""

from __future__ import annotations

import copy
import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

from fontTools import subset as ftsubset
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.fonts import SubsetMap, TTFFont
from PIL import Image

from relance.documents.epc import QUIET_ZONE, epc_qr
from relance.domain.errors import RelanceError
from relance.i18n import format_date, format_money, format_short_date

FONT_DIR = Path(__file__).with_name("fonts")
FAMILY = "dejavu"
FONT_FILES = (("", "DejaVuSans.ttf"), ("B", "DejaVuSans-Bold.ttf"))
# The characters of French and other Latin-script letters: ASCII, Latin-1, Latin
# Extended-A, the Romanian commas, typographic punctuation (with the narrow no-break space
# of French amounts), €, №, ™ and the minus sign. Other text falls back to the full font.
LATIN_RANGES = (
    (0x20, 0x7E),
    (0xA0, 0x17F),
    (0x218, 0x21B),
    (0x2C6, 0x2C7),
    (0x2D8, 0x2DD),
    (0x2010, 0x2027),
    (0x202F, 0x203A),
    (0x2044, 0x2044),
    (0x20AC, 0x20AC),
    (0x2116, 0x2116),
    (0x2122, 0x2122),
    (0x2212, 0x2212),
)

PAGE_W, PAGE_H = 210.0, 297.0
LEFT, RIGHT, TOP = 20.0, 15.0, 15.0
WIDTH = PAGE_W - LEFT - RIGHT
LETTERHEAD_W = 85.0
WINDOW_X, WINDOW_Y, WINDOW_W, WINDOW_H = 110.0, 45.0, 90.0, 35.0
QR_SIZE = 30.0
QR_PIXELS = 4
QR_SHADES = b"\xff" + b"\x00" * 255  # segno module value (0 light, else dark) to grey
LINE = 5.0
SMALL_LINE = 3.2
FOOTER_FONT = 6.5
GREY = (90, 90, 90)
HEAD_FILL = (230, 230, 230)
REGISTERED = "Lettre recommandée avec accusé de réception"
QR_CAPTION = "Scannez pour payer"


@dataclass(frozen=True)
class Party:
    """A sender or recipient: name, postal address lines and legal mentions."""

    name: str
    lines: tuple[str, ...]
    legal: tuple[str, ...] = ()


@dataclass(frozen=True)
class InvoiceLine:
    """One invoice claimed in a letter."""

    number: str
    issue_date: date
    due_date: date
    amount: Decimal
    open_amount: Decimal


@dataclass(frozen=True)
class PenaltyLine:
    """Late-payment penalties, indemnity or interest, with how they were computed."""

    label: str
    amount: Decimal
    detail: str


@dataclass(frozen=True)
class Letter:
    """Everything printed on a reminder or a formal notice."""

    sender: Party
    recipient: Party
    place: str
    on: date
    subject: str
    paragraphs: tuple[str, ...]
    invoices: tuple[InvoiceLine, ...] = ()
    penalties: tuple[PenaltyLine, ...] = ()
    total_due: Decimal | None = None
    payment: tuple[str, ...] = ()
    qr_payload: str | None = None
    signature: tuple[str, ...] = ()
    title: str | None = None
    footer: tuple[str, ...] = ()
    registered: bool = False


@dataclass(frozen=True)
class StatementLine:
    """One line of an account statement: an invoice (debit) or a payment (credit)."""

    on: date
    label: str
    debit: Decimal | None
    credit: Decimal | None
    balance: Decimal


class DocumentError(RelanceError, ValueError):
    """A document cannot be produced from what was given."""

    default_message = "Document impossible à produire."


def render_letter(letter: Letter) -> bytes:
    """One letter as a PDF."""
    return render_batch((letter,))


def render_batch(letters: Sequence[Letter]) -> bytes:
    """All letters in one PDF for printing, each from a new page, numbered per letter."""
    if not letters:
        raise DocumentError("Aucune lettre à imprimer.")
    title = letters[0].subject if len(letters) == 1 else f"{len(letters)} lettres"
    pdf = _new_pdf(title, letters[0].sender.name, letters[0].on)
    for letter in letters:
        _draw_letter(pdf, letter)
    return _output(pdf)


def render_statement(
    sender: Party, client: Party, at: date, lines: Sequence[StatementLine], total_open: Decimal
) -> bytes:
    """A client's account statement at a date, as a PDF."""
    title = f"Relevé de compte au {format_date(at)}"
    pdf = _new_pdf(title, sender.name, at)
    first = _begin(pdf, f"{sender.name} · {client.name} · {title}", sender.legal)
    _letterhead(pdf, sender)
    _address(pdf, client, registered=False)
    pdf.set_xy(WINDOW_X, _below_heads(pdf))
    _text(pdf, 10)
    _write(pdf, f"Le {format_date(at)}", PAGE_W - RIGHT - WINDOW_X, LINE)
    pdf.set_xy(LEFT, pdf.y + 8)
    _title(pdf, title, 14)
    _table(
        pdf,
        ("Date", "Libellé", "Débit", "Crédit", "Solde"),
        (25.0, 68.0, 27.0, 27.0, 28.0),
        "LLRRR",
        (
            (
                format_short_date(line.on),
                line.label,
                _money_or_blank(line.debit),
                _money_or_blank(line.credit),
                format_money(line.balance),
            )
            for line in lines
        ),
    )
    _total(pdf, "Solde restant dû", total_open)
    _finish(pdf, first, sender.legal)
    return _output(pdf)


def statement_csv(lines: Sequence[StatementLine]) -> str:
    """The statement as `;`-separated CSV with decimal commas, for French spreadsheets."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(("date", "libellé", "débit", "crédit", "solde"))
    for line in lines:
        writer.writerow(
            (
                format_short_date(line.on),
                _cell_text(line.label),
                _csv_amount(line.debit),
                _csv_amount(line.credit),
                _csv_amount(line.balance),
            )
        )
    return out.getvalue()


class _PDF(FPDF):
    """FPDF whose pages after the first of each document carry a short running head."""

    def __init__(self) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.first_page = 1
        self.running_head = ""
        self.letterhead_bottom = TOP

    def header(self) -> None:
        """Running head on continuation pages, so loose sheets can be matched."""
        if self.page <= self.first_page or not self.running_head:
            return
        _text(self, 7, colour=GREY)
        _line(self, LEFT, 8, WIDTH, 4, self.running_head)
        self.set_xy(LEFT, 20)

    def footer(self) -> None:
        """Footers are drawn by `_finish`, once the page count of the letter is known."""


@dataclass(frozen=True)
class _FontSource:
    """A shipped font parsed once per process, and its bytes in full and cut to Latin."""

    key: str
    prototype: TTFFont
    full: bytes
    latin: bytes
    latin_glyphs: frozenset[str]


@cache
def _font_sources() -> tuple[_FontSource, ...]:
    """Parse the shipped fonts once (~30 ms each) and cut a Latin copy of each (~0.2 s)."""
    pdf = FPDF()
    for style, file in FONT_FILES:
        pdf.add_font(FAMILY, style, FONT_DIR / file)
    sources = []
    for (style, file), (key, font) in zip(FONT_FILES, pdf.fonts.items(), strict=True):
        assert isinstance(font, TTFFont) and key == FAMILY + style
        full = (FONT_DIR / file).read_bytes()
        latin, glyphs = _latin_cut(full)
        sources.append(_FontSource(key, font, full, latin, glyphs))
    return tuple(sources)


def _latin_cut(data: bytes) -> tuple[bytes, frozenset[str]]:
    """The font reduced to LATIN_RANGES without layout tables, and its glyph names.

    fpdf2 subsets each font again when it writes a PDF; starting from ~400 glyphs
    instead of ~6,000, without layout tables, makes that about five times faster. Glyph
    names are kept, so the metrics read from the full font still apply.
    """
    font = TTFont(io.BytesIO(data), recalcTimestamp=False)
    options = ftsubset.Options()
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "kern", "hdmx", "FFTM"]
    options.layout_features = []
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.recommended_glyphs = True
    options.glyph_names = True
    subsetter = ftsubset.Subsetter(options)
    subsetter.populate(
        unicodes=[code for low, high in LATIN_RANGES for code in range(low, high + 1)]
    )
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue(), frozenset(font.getGlyphOrder())


def _install_fonts(pdf: FPDF) -> None:
    """Give `pdf` the parsed fonts, each with its own glyph subset."""
    for source in _font_sources():
        font = copy.copy(source.prototype)
        font.missing_glyphs = []
        font.biggest_size_pt = 0
        font.subset = SubsetMap(font)
        pdf.fonts[source.key] = font


def _output(pdf: FPDF) -> bytes:
    """The PDF bytes; each font is embedded from the Latin cut when it has every glyph used."""
    for source in _font_sources():
        font = pdf.fonts[source.key]
        assert isinstance(font, TTFFont)
        used = set(font.subset.get_all_glyph_names())
        data = source.latin if used <= source.latin_glyphs else source.full
        # fpdf2 subsets `ttfont` in place while writing: each document needs its own.
        font.ttfont = TTFont(io.BytesIO(data), recalcBBoxes=False, recalcTimestamp=False, lazy=True)
    return bytes(pdf.output())


def _new_pdf(title: str, author: str, on: date) -> _PDF:
    """An empty A4 document with the fonts installed and stable metadata."""
    pdf = _PDF()
    _install_fonts(pdf)
    pdf.alias_nb_pages("")
    pdf.set_margins(LEFT, 20, RIGHT)
    pdf.set_lang("fr-FR")
    pdf.set_title(title)
    pdf.set_author(author)
    pdf.set_creator("Relance")
    pdf.set_creation_date(datetime(on.year, on.month, on.day, tzinfo=UTC))
    return pdf


def _draw_letter(pdf: _PDF, letter: Letter) -> None:
    """Lay out one letter from a new page."""
    head = f"{letter.sender.name} · {letter.recipient.name} · {format_date(letter.on)}"
    first = _begin(pdf, head, letter.footer)
    _letterhead(pdf, letter.sender)
    _address(pdf, letter.recipient, registered=letter.registered)
    pdf.set_xy(WINDOW_X, _below_heads(pdf))
    _text(pdf, 10)
    _write(pdf, f"{letter.place}, le {format_date(letter.on)}", PAGE_W - RIGHT - WINDOW_X, LINE)
    pdf.set_xy(LEFT, pdf.y + 8)
    if letter.title:
        _title(pdf, letter.title, 16)
    _text(pdf, 10, bold=True)
    _write(pdf, f"Objet : {letter.subject}", WIDTH, LINE)
    pdf.ln(4)
    _text(pdf, 10)
    for paragraph in letter.paragraphs:
        _write(pdf, paragraph, WIDTH, LINE)
        pdf.ln(2.5)
    if letter.invoices:
        pdf.ln(1.5)
        _table(
            pdf,
            ("Facture", "Date", "Échéance", "Montant TTC", "Reste dû"),
            (43.0, 28.0, 28.0, 38.0, 38.0),
            "LLLRR",
            (
                (
                    line.number,
                    format_short_date(line.issue_date),
                    format_short_date(line.due_date),
                    format_money(line.amount),
                    format_money(line.open_amount),
                )
                for line in letter.invoices
            ),
        )
    if letter.penalties:
        pdf.ln(3)
        _table(
            pdf,
            ("Pénalités et indemnités", "Détail", "Montant"),
            (60.0, 77.0, 38.0),
            "LLR",
            ((p.label, p.detail, format_money(p.amount)) for p in letter.penalties),
        )
    if letter.total_due is not None:
        _total(pdf, "Total à régler", letter.total_due)
    if letter.payment or letter.qr_payload:
        _payment(pdf, letter.payment, letter.qr_payload)
    if letter.signature:
        _signature(pdf, letter.signature)
    _finish(pdf, first, letter.footer)


def _begin(pdf: _PDF, running_head: str, footer: Sequence[str]) -> int:
    """Start a document on a new page, with room kept at the bottom for its footer."""
    pdf.running_head = running_head
    pdf.first_page = pdf.pages_count + 1
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.set_auto_page_break(True, margin=PAGE_H - _footer_top(pdf, footer) + 4)
    return pdf.first_page


def _finish(pdf: _PDF, first: int, footer: Sequence[str]) -> None:
    """Print the footer and "Page i/n" on each page of the document just laid out."""
    last = pdf.page
    margin = pdf.b_margin
    pdf.set_auto_page_break(False)
    total = last - first + 1
    for number, page in enumerate(range(first, last + 1), start=1):
        pdf.page = page
        # The page's content stream may have another font selected: emit ours again.
        pdf.current_font_is_set_on_page = False
        _footer(pdf, footer, f"Page {number}/{total}")
    pdf.page = last
    pdf.current_font_is_set_on_page = False
    pdf.set_auto_page_break(True, margin=margin)


def _footer_top(pdf: _PDF, footer: Sequence[str]) -> float:
    """Where the footer block starts, measured from the top of the page."""
    _text(pdf, FOOTER_FONT, colour=GREY)
    lines = sum(len(_wrap(pdf, line, WIDTH)) for line in footer)
    return PAGE_H - 10 - 4 - lines * SMALL_LINE


def _footer(pdf: _PDF, footer: Sequence[str], page_label: str) -> None:
    """The legal mentions and the page number at the bottom of the current page."""
    top = _footer_top(pdf, footer)
    if footer:
        pdf.set_draw_color(*GREY)
        pdf.set_line_width(0.2)
        pdf.line(LEFT, top - 1.5, PAGE_W - RIGHT, top - 1.5)
        pdf.set_xy(LEFT, top)
        for line in footer:
            _write(pdf, line, WIDTH, SMALL_LINE, align="C")
    _text(pdf, 7, colour=GREY)
    _line(pdf, LEFT, PAGE_H - 12, WIDTH, 4, page_label, "R")


def _letterhead(pdf: _PDF, sender: Party) -> None:
    """Sender name, address and legal mentions, top left, clear of the window."""
    pdf.set_xy(LEFT, TOP)
    _text(pdf, 13, bold=True)
    _write(pdf, sender.name, LETTERHEAD_W, 6)
    _text(pdf, 9)
    for line in sender.lines:
        _write(pdf, line, LETTERHEAD_W, 4.2)
    if sender.legal:
        pdf.ln(1)
        _text(pdf, 7, colour=GREY)
        for line in sender.legal:
            _write(pdf, line, LETTERHEAD_W, SMALL_LINE)
    pdf.letterhead_bottom = pdf.y


def _address(pdf: _PDF, recipient: Party, *, registered: bool) -> None:
    """The recipient block in the envelope window, under the registered-mail mention."""
    if registered:
        _text(pdf, 8, bold=True)
        _line(pdf, WINDOW_X, WINDOW_Y, WINDOW_W, 4, REGISTERED)
    pdf.set_xy(WINDOW_X, WINDOW_Y + 5)
    _text(pdf, 10, bold=True)
    _write(pdf, recipient.name, WINDOW_W, LINE)
    _text(pdf, 10)
    for line in recipient.lines:
        _write(pdf, line, WINDOW_W, LINE)


def _below_heads(pdf: _PDF) -> float:
    """The first free line under both the letterhead and the window zone."""
    return max(pdf.letterhead_bottom, pdf.y, WINDOW_Y + WINDOW_H) + 6


def _title(pdf: _PDF, title: str, size: float) -> None:
    """A big centred title such as MISE EN DEMEURE."""
    _text(pdf, size, bold=True)
    _write(pdf, title, WIDTH, size * 0.5, align="C")
    pdf.ln(4)


def _table(
    pdf: _PDF,
    heads: Sequence[str],
    widths: Sequence[float],
    aligns: str,
    rows: Iterable[Sequence[str]],
) -> None:
    """A ruled table whose heading is repeated after each page break; cells wrap."""
    _table_heading(pdf, heads, widths, aligns)
    _text(pdf, 9)
    for row in rows:
        cells = [_wrap(pdf, text, width) for width, text in zip(widths, row, strict=True)]
        height = max(len(lines) for lines in cells) * 4.5 + 1.5
        if pdf.y + height > pdf.page_break_trigger:
            pdf.add_page()
            _table_heading(pdf, heads, widths, aligns)
            _text(pdf, 9)
        top = pdf.y
        left = LEFT
        for width, lines, align in zip(widths, cells, aligns, strict=True):
            pdf.rect(left, top, width, height)
            if len(lines) == 1:
                _line(pdf, left, top, width, height, lines[0], align)
            else:
                for number, line in enumerate(lines):
                    _line(pdf, left, top + 0.75 + number * 4.5, width, 4.5, line, align)
            left += width
        pdf.set_xy(LEFT, top + height)


def _table_heading(pdf: _PDF, heads: Sequence[str], widths: Sequence[float], aligns: str) -> None:
    """The grey heading row of a table, kept with at least one row below it."""
    _keep(pdf, 13)
    _text(pdf, 8.5, bold=True)
    pdf.set_fill_color(*HEAD_FILL)
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.2)
    left, top = LEFT, pdf.y
    for head, width, align in zip(heads, widths, aligns, strict=True):
        pdf.rect(left, top, width, 6, style="DF")
        _line(pdf, left, top, width, 6, head, align)
        left += width
    pdf.set_xy(LEFT, top + 6)


def _total(pdf: _PDF, label: str, amount: Decimal) -> None:
    """A bold total line aligned on the amount column."""
    _keep(pdf, 10)
    pdf.ln(2)
    _text(pdf, 10, bold=True)
    top = pdf.y
    _line(pdf, LEFT, top, WIDTH - 38, 7, label, "R")
    pdf.set_draw_color(0, 0, 0)
    pdf.rect(LEFT + WIDTH - 38, top, 38, 7)
    _line(pdf, LEFT + WIDTH - 38, top, 38, 7, format_money(amount), "R")
    pdf.set_xy(LEFT, top + 7)


def _payment(pdf: _PDF, lines: Sequence[str], qr_payload: str | None) -> None:
    """How to pay (IBAN, BIC, reference) with the EPC QR code and its caption on the right."""
    text_width = WIDTH - (QR_SIZE + 6 if qr_payload else 0)
    _text(pdf, 9.5)
    wrapped = [part for line in lines for part in _wrap(pdf, line, text_width)]
    height = max(LINE * (len(wrapped) + 1), QR_SIZE + 4 if qr_payload else 0)
    _keep(pdf, height + 5)
    pdf.ln(5)
    top = pdf.y
    _text(pdf, 10, bold=True)
    _line(pdf, LEFT, top, text_width, LINE, "Modalités de paiement")
    _text(pdf, 9.5)
    for number, line in enumerate(wrapped, start=1):
        _line(pdf, LEFT, top + number * LINE, text_width, LINE, line)
    bottom = top + (len(wrapped) + 1) * LINE
    if qr_payload:
        left = PAGE_W - RIGHT - QR_SIZE
        pdf.image(
            _qr_image(qr_payload),
            x=left,
            y=top,
            w=QR_SIZE,
            h=QR_SIZE,
            alt_text="QR code de paiement SEPA (EPC)",
        )
        _text(pdf, 7.5)
        _line(pdf, left, top + QR_SIZE, QR_SIZE, 4, QR_CAPTION, "C")
        bottom = max(bottom, top + QR_SIZE + 4)
    pdf.set_xy(LEFT, bottom)


def _qr_image(payload: str) -> Image.Image:
    """The EPC QR code as a greyscale image, four pixels per module (sharp when printed)."""
    matrix = epc_qr(payload).matrix
    side = len(matrix) + 2 * QUIET_ZONE
    quiet = b"\xff" * QUIET_ZONE
    blank = b"\xff" * side * QUIET_ZONE
    rows = b"".join(quiet + bytes(row).translate(QR_SHADES) + quiet for row in matrix)
    small = Image.frombytes("L", (side, side), blank + rows + blank)
    return small.resize((side * QR_PIXELS, side * QR_PIXELS), Image.Resampling.NEAREST)


def _signature(pdf: _PDF, lines: Sequence[str]) -> None:
    """The signature block on the right half, kept on one page."""
    _keep(pdf, LINE * len(lines) + 8)
    pdf.ln(8)
    _text(pdf, 10)
    pdf.set_x(WINDOW_X)
    for line in lines:
        _write(pdf, line, PAGE_W - RIGHT - WINDOW_X, LINE)


def _keep(pdf: _PDF, height: float) -> None:
    """Start a new page unless `height` millimetres fit on this one."""
    if pdf.y + height > pdf.page_break_trigger:
        pdf.add_page()


def _text(
    pdf: FPDF, size: float, *, bold: bool = False, colour: tuple[int, int, int] = (0, 0, 0)
) -> None:
    """Select the shipped font, its size and the text colour."""
    pdf.set_font(FAMILY, "B" if bold else "", size)
    pdf.set_text_color(*colour)


def _write(pdf: FPDF, text: str, width: float, height: float, align: str = "L") -> None:
    """Write wrapped `text` from the current position down, breaking pages as needed."""
    left = pdf.x
    for line in _wrap(pdf, text, width):
        if pdf.auto_page_break and pdf.y + height > pdf.page_break_trigger:
            pdf.add_page()
        _line(pdf, left, pdf.y, width, height, line, align)
        pdf.set_xy(left, pdf.y + height)


def _line(
    pdf: FPDF, x: float, y: float, width: float, height: float, text: str, align: str = "L"
) -> None:
    """One line of text in a box, placed as `cell()` would (padding, vertical centring).

    `FPDF.text()` costs a fifth of `cell()`, which re-parses and re-measures its text.
    """
    if not text:
        return
    if align == "L":
        left = x + pdf.c_margin
    else:
        room = width - _measure(pdf)(text)
        left = x + (room / 2 if align == "C" else room - pdf.c_margin)
    pdf.text(left, y + 0.5 * height + 0.3 * pdf.font_size, text)


def _wrap(pdf: FPDF, text: str, width: float) -> list[str]:
    """Lines of `text` that fit a cell `width` wide in the current font.

    Breaks only at plain spaces and newlines, so `1 234,56 €` (no-break spaces) stays
    whole. Linear in the text length, unlike fpdf2's multi_cell, which re-measures each
    line for each character added.
    """
    room = width - 2 * pdf.c_margin
    measure = _measure(pdf)
    space = measure(" ")
    lines: list[str] = []
    for hard_line in text.replace("\t", " ").split("\n"):
        line, line_width = "", 0.0
        for word in hard_line.split(" "):
            if not word:
                continue
            word_width = measure(word)
            if line and line_width + space + word_width <= room:
                line, line_width = f"{line} {word}", line_width + space + word_width
                continue
            if line:
                lines.append(line)
            while word_width > room and len(word) > 1:
                head = _fitting_prefix(word, room, measure)
                lines.append(head)
                word = word[len(head) :]
                word_width = measure(word)
            line, line_width = word, word_width
        lines.append(line)
    return lines


def _fitting_prefix(word: str, room: float, measure: Callable[[str], float]) -> str:
    """The longest start of `word` (one character at least) no wider than `room`."""
    end = 1
    while end < len(word) and measure(word[: end + 1]) <= room:
        end += 1
    return word[:end]


def _measure(pdf: FPDF) -> Callable[[str], float]:
    """Width in mm of a text in the current font and size (no spacing nor stretching set)."""
    font = pdf.current_font
    if not isinstance(font, TTFFont):
        return pdf.get_string_width
    widths = font.cw
    factor = pdf.font_size_pt * 0.001 / pdf.k
    return lambda text: sum(widths[ord(char)] for char in text) * factor


def _money_or_blank(amount: Decimal | None) -> str:
    """`1 234,56 €`, or nothing."""
    return "" if amount is None else format_money(amount)


def _csv_amount(amount: Decimal | None) -> str:
    """`1234,56`: no thousands separator nor currency, so spreadsheets read a number."""
    if amount is None:
        return ""
    cents = amount.quantize(Decimal("0.01"))
    return f"{cents if cents == amount else amount:f}".replace(".", ",")


def _cell_text(value: str) -> str:
    """Quote text a spreadsheet would run as a formula (CSV injection)."""
    return "'" + value if value.startswith(("=", "+", "-", "@", "\t", "\r")) else value
