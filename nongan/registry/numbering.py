"""The registry's number series (nongan.core.numbering).

Registry numbers: the producer's township code (9 digits) and a 6-digit serial per township,
e.g. 320707100000042. A producer registered in a village is numbered in its township.
"""

from nongan.core import numbering

PRODUCER = numbering.register(
    numbering.Series(
        "producer", pattern="{township}{n:06d}", key="{township}", model="registry.Producer", field="code"
    )
)


def township_part(region) -> str:
    """The 9 digits of the township a producer in ``region`` (township or village) is numbered in."""
    town = region if region.level == "township" else region.parent
    return town.code[:9]
