"""Certificate numbers: the "certificate" series of nongan.core.numbering (one row-locked counter per
district and year; see ``nongan.certificates.numbering``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..numbering import CERTIFICATE, district_part

if TYPE_CHECKING:
    from nongan.registry.models import Producer


def _district_code(producer: Producer) -> str:
    return district_part(producer)


def allocate_numbers(district: str, year: int, count: int) -> list[str]:
    """``count`` consecutive new certificate numbers of ``district`` and ``year`` (locks their counter row
    until the calling transaction ends; a rollback gives them back)."""
    return CERTIFICATE.take(count, district=district[:6], year=year)
