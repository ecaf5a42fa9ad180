"""QR images and printable labels (PDF through ReportLab, CJK via the built-in STSong-Light CID font)."""

import io
from dataclasses import dataclass

import segno
from django.utils import timezone
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from nongan.core.pdf import plain

from . import qrsign
from .services import public_base_url

TITLE = "承诺达标合格证"
FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))


@dataclass(frozen=True)
class LabelSize:
    key: str
    width_mm: int
    height_mm: int

    @property
    def label(self) -> str:
        return f"{self.width_mm}×{self.height_mm} mm"


SIZES = {
    s.key: s for s in (LabelSize("60x40", 60, 40), LabelSize("70x50", 70, 50), LabelSize("100x70", 100, 70))
}
DEFAULT_SIZE = "60x40"
A4 = (210 * mm, 297 * mm)


def qr_text_of(certificate) -> str:
    return qrsign.qr_text(public_base_url(), certificate.number, certificate.token)


def qr_code(certificate) -> segno.QRCode:
    return segno.make(qr_text_of(certificate), error="m", micro=False)


def qr_svg(certificate, scale: int = 4) -> str:
    return qr_code(certificate).svg_inline(scale=scale, border=4)


def qr_png(certificate, scale: int = 8) -> bytes:
    buf = io.BytesIO()
    qr_code(certificate).save(buf, kind="png", scale=scale, border=4)
    return buf.getvalue()


def label_lines(c) -> list[tuple[str, str]]:
    local = timezone.localtime(c.issued_at)
    qty = format(c.quantity.normalize(), "f")
    return [
        ("产品", c.product_name),
        ("数量", f"{qty} {c.unit}"),
        ("产地", "、".join(origin_text(r) for r in c.grower_origins())),
        ("开具日期", f"{local:%Y-%m-%d %H:%M}"),
        ("承诺主体", c.promiser),
        ("联系电话", c.contact),
        ("依据", c.get_basis_display()),
    ]


def origin_text(region) -> str:
    """Township and village (青口镇柳河社区): short enough for a small label."""
    parent = region.parent if region.level == "village" else None
    return f"{parent.name}{region.name}" if parent else region.name


def _draw_qr(cv: canvas.Canvas, qr: segno.QRCode, x: float, y: float, size: float) -> None:
    """The QR as vector squares (sharp at any printer resolution), with a 4-module quiet zone."""
    matrix = list(qr.matrix)
    n = len(matrix)
    module = size / (n + 8)
    cv.setFillColorRGB(1, 1, 1)
    cv.rect(x, y, size, size, stroke=0, fill=1)
    cv.setFillColorRGB(0, 0, 0)
    for r, row in enumerate(matrix):
        run_start = None
        for col, bit in enumerate([*row, 0]):
            if bit and run_start is None:
                run_start = col
            elif not bit and run_start is not None:
                cv.rect(
                    x + (run_start + 4) * module,
                    y + size - (r + 5) * module,
                    (col - run_start) * module,
                    module,
                    stroke=0,
                    fill=1,
                )
                run_start = None


def _draw_label(cv: canvas.Canvas, c, x: float, y: float, size: LabelSize, border: bool) -> None:
    w, h = size.width_mm * mm, size.height_mm * mm
    pad = 1.5 * mm
    if border:
        cv.setLineWidth(0.3)
        cv.setStrokeColorRGB(0.6, 0.6, 0.6)
        cv.rect(x, y, w, h, stroke=1, fill=0)
    scale = size.height_mm / 40  # font sizes grow with the label
    title_size = 8.5 * scale
    cv.setFillColorRGB(0, 0, 0)
    cv.setFont(FONT, title_size)
    cv.drawCentredString(x + w / 2, y + h - pad - title_size, TITLE)
    top = y + h - 2 * pad - title_size
    number_size = 5.5 * scale
    qr_size = min(top - y - pad - number_size * 1.3, w * 0.5)
    _draw_qr(cv, qr_code(c), x + pad, top - qr_size, qr_size)
    cv.setFont(FONT, number_size)
    cv.drawCentredString(x + pad + qr_size / 2, top - qr_size - number_size * 1.1, c.number)
    tx = x + 2 * pad + qr_size
    text_w = x + w - pad - tx
    font = 5.4 * scale
    leading = font * 1.25
    ty = top - font
    cv.setFont(FONT, font)
    for key, value in label_lines(c):
        for line in at_most_two_lines(wrap(plain(f"{key}：{value}"), font, text_w)):
            if ty < y + pad:
                break
            cv.drawString(tx, ty, line)
            ty -= leading
    # the promise, in a smaller font, in what is left of the text column
    small = font * 0.8
    cv.setFont(FONT, small)
    ty -= small * 0.3
    for line in wrap(plain("承诺：" + c.promise_text), small, text_w):
        if ty < y + pad:
            break
        cv.drawString(tx, ty, line)
        ty -= small * 1.2


def at_most_two_lines(lines: list[str]) -> list[str]:
    """A field keeps two lines on the label; a longer one (a re-issue's many origins) says that it goes on ("等")
    instead of stopping mid-list."""
    if len(lines) <= 2:
        return lines
    second = lines[1]
    cut = second.rfind("、")  # end after the last whole name on the line
    return [lines[0], (second[:cut] if cut > 0 else second[:-1]) + "等"]


def wrap(text: str, size: float, width: float) -> list[str]:
    """Break a line of Chinese text (no spaces to break at) to fit ``width`` points."""
    lines, cur = [], ""
    for ch in text:
        if cur and pdfmetrics.stringWidth(cur + ch, FONT, size) > width:
            lines.append(cur)
            cur = ch
        else:
            cur += ch
    if cur:
        lines.append(cur)
    return lines


def labels_pdf(certificates, size_key: str = DEFAULT_SIZE, sheet: str = "label") -> bytes:
    """One label per page at the label size (label printers), or as many as fit on A4 (``sheet="a4"``)."""
    size = SIZES.get(size_key, SIZES[DEFAULT_SIZE])
    w, h = size.width_mm * mm, size.height_mm * mm
    buf = io.BytesIO()
    if sheet == "a4":
        cv = canvas.Canvas(buf, pagesize=A4)
        margin = 8 * mm
        cols = max(1, int((A4[0] - 2 * margin) // w))
        rows = max(1, int((A4[1] - 2 * margin) // h))
        for i, c in enumerate(certificates):
            slot = i % (cols * rows)
            if i and slot == 0:
                cv.showPage()
            col, row = slot % cols, slot // cols
            _draw_label(cv, c, margin + col * w, A4[1] - margin - (row + 1) * h, size, border=True)
    else:
        cv = canvas.Canvas(buf, pagesize=(w, h))
        for i, c in enumerate(certificates):
            if i:
                cv.showPage()
            _draw_label(cv, c, 0, 0, size, border=False)
    cv.setTitle(TITLE)
    cv.save()
    return buf.getvalue()
