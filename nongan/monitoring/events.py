"""The monitoring app's domain events (nongan.core.events): how it makes higher apps react without naming them.

``certified_sample_failed`` — an unqualified sample named the certificate of its lot (the sample's
``certificate_number``): sent by ``follow_up_open`` inside the verdict's transaction. A receiver answers
what it marked (e.g. the certificate whose promise the sample contradicts) or None when the number is
unknown to it; the follow-up records ``certificate_flagged`` when a receiver answered something.
"""

from nongan.core.events import Event

certified_sample_failed = Event(
    "monitoring.certified_sample_failed",
    payload=("number", "sample_code"),
    doc="An unqualified sample named the certificate number of its lot.",
)
