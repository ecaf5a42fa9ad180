"""The draws' number series (nongan.core.numbering).

Round numbers: SJ, the year, a hyphen and a 4-digit serial per year, e.g. SJ2026-0007.
"""

from nongan.core import numbering

DRAW_ROUND = numbering.register(
    numbering.Series(
        "draw_round", pattern="SJ{year}-{n:04d}", key="{year}", model="draws.DrawRound", field="code"
    )
)
