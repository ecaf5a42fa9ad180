"""Text for ReportLab PDFs. ``Paragraph`` reads a mini-markup (``<a href>``, ``<img src>``, ``<font>``, entities):
user text given to it is markup, so a "<" raises and an ``<img src="/etc/…">`` embeds a local file. Every PDF passes
user text through ``pdf_text`` (or builds its paragraphs with ``text_paragraph``); ``canvas.drawString`` draws text
as it is and needs only ``pdf_text``'s control-character clean-up."""

import re
from xml.sax.saxutils import escape

from reportlab.platypus import Paragraph

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def plain(value) -> str:
    """The value as one line of text without control characters (NUL, escapes …)."""
    return _CONTROL.sub("", "" if value is None else str(value))


def pdf_text(value) -> str:
    """User text as Paragraph markup that reads literally: & < > escaped, line breaks kept."""
    return escape(plain(value)).replace("\r\n", "\n").replace("\n", "<br/>")


def text_paragraph(value, style) -> Paragraph:
    """A Paragraph showing ``value`` as text, never as markup."""
    return Paragraph(pdf_text(value), style)
