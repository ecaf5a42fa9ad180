"""The certificates app's number series (nongan.core.numbering).

Certificate numbers: the district's 6 digits, the year's last two digits, an 8-digit serial per district
and year, and a check character (``qrsign.check_char``), e.g. 32070726000000427 — the same as
``qrsign.make_number(district, year, n)``.

Batch codes: B, the last 8 digits of the producer's registry number, the year's last two digits and a
4-digit serial, e.g. B00000042260003. The counter is keyed by what the code shows (the 8 digits and the
year), so two producers whose numbers end alike share one counter and never get the same code.
"""

from nongan.core import numbering

from . import qrsign

CERTIFICATE = numbering.register(
    numbering.Series(
        "certificate",
        pattern="{district}{yy}{n:08d}",
        key="{district}:{year}",
        model="certificates.Certificate",
        field="number",
        check=qrsign.check_char,
    )
)

BATCH = numbering.register(
    numbering.Series(
        "batch",
        pattern="B{producer}{yy}{n:04d}",
        key="{producer}:{year}",
        model="certificates.ProductionBatch",
        field="code",
    )
)


def district_part(producer) -> str:
    """The 6 digits of the district a producer's certificates are numbered in."""
    return producer.region.code[:6]


def producer_part(producer) -> str:
    """The part of a batch code that names the producer: the last 8 digits of its registry number."""
    return producer.code[-8:]
