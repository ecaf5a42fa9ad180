"""Monitoring's number series (nongan.core.numbering).

Sample numbers: CY, the year of sampling and a 5-digit serial per year, e.g. CY202600042.
"""

from nongan.core import numbering

SAMPLE = numbering.register(
    numbering.Series(
        "sample", pattern="CY{year}{n:05d}", key="{year}", model="monitoring.Sample", field="code"
    )
)
