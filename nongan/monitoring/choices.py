"""Choices of the monitoring app: sectors, states, verdicts, rapid-test methods and readings."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Sector(models.TextChoices):
    """The three sample families of the seed's plan (农、畜、水产品)."""

    CROP = "crop", _("Crop products")
    LIVESTOCK = "livestock", _("Livestock products")
    AQUATIC = "aquatic", _("Aquatic products")


# registry.CategoryKind → sector
KIND_SECTOR = {
    "plant": Sector.CROP,
    "livestock": Sector.LIVESTOCK,
    "poultry": Sector.LIVESTOCK,
    "eggs": Sector.LIVESTOCK,
    "milk": Sector.LIVESTOCK,
    "aquatic": Sector.AQUATIC,
}


class QuotaKind(models.TextChoices):
    QUANTITATIVE = "quantitative", _("Quantitative samples")
    RAPID = "rapid", _("Rapid tests")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    SAMPLED = "sampled", _("Sampled")
    CANCELLED = "cancelled", _("Cancelled")


class TaskSource(models.TextChoices):
    DRAW = "draw", _("Double-random draw")
    MANUAL = "manual", _("Created by hand")
    RAPID_POSITIVE = "rapid_positive", _("Confirmation of a rapid-test positive")


class SampleState(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    RECEIVED = "received", _("Received by the lab")
    RESULTS_SUBMITTED = "results_submitted", _("Results submitted")
    VERIFIED = "verified", _("Verified")
    PUBLISHED = "published", _("Published")
    CANCELLED = "cancelled", _("Cancelled")
    REJECTED = "rejected", _("Rejected by the lab")
    # A sample with entered results is never cancelled: a district administrator voids it with a reason;
    # its results, follow-up and ledger entry stay.
    VOIDED = "voided", _("Voided")


# States in which a sample counts toward the quantitative quota.
COUNTED_STATES = [
    SampleState.REGISTERED,
    SampleState.RECEIVED,
    SampleState.RESULTS_SUBMITTED,
    SampleState.VERIFIED,
    SampleState.PUBLISHED,
]
JUDGED_STATES = [SampleState.VERIFIED, SampleState.PUBLISHED]


class Verdict(models.TextChoices):
    PASS = "pass", _("Qualified")
    FAIL = "fail", _("Unqualified")
    NOT_JUDGEABLE = "not_judgeable", _("Not judgeable")


class RapidMethod(models.TextChoices):
    ENZYME = "enzyme", _("Enzyme inhibition")
    GOLD = "gold", _("Colloidal-gold strip")


class TLine(models.TextChoices):
    ABSENT = "absent", _("T line absent")
    LIGHTER = "lighter", _("T line lighter than C")
    SAME_OR_DARKER = "same_or_darker", _("T line as dark as C or darker")


class RapidOutcome(models.TextChoices):
    NEGATIVE = "negative", _("Negative")
    POSITIVE = "positive", _("Positive")
    INVALID = "invalid", _("Invalid")


class RapidSource(models.TextChoices):
    FORM = "form", _("Form")
    XLSX = "xlsx", _("Spreadsheet")
    API = "api", _("Instrument API")


class FollowUpStatus(models.TextChoices):
    OPEN = "open", _("Being handled")
    PROPOSED = "proposed", _("Closing proposed")
    HANDLED = "handled", _("Handled")


class PlanState(models.TextChoices):
    DRAFT = "draft", _("Not published")
    PUBLISHED = "published", pgettext_lazy("plan", "Published")


class HoldStatus(models.TextChoices):
    HELD = "held", _("Sale held")
    RELEASED = "released", _("Released")


# Matrices known to give false positives in the enzyme-inhibition method.
FALSE_POSITIVE_MATRICES = ("葱", "蒜", "萝卜", "韭菜", "芹菜", "香菜", "茭白", "蘑菇", "番茄")


# What the ledger page calls this app's kinds of entry (registered with nongan.core.ledger in AppConfig.ready).
LEDGER_KINDS = {
    "monitoring.received": _("Sample received"),
    "monitoring.rejected": _("Sample rejected"),
    "monitoring.results_entered": _("Results entered"),
    "monitoring.result_corrected": _("Result corrected"),
    "monitoring.submitted": _("Results submitted"),
    "monitoring.sent_back": _("Sent back to the lab"),
    "monitoring.verified": _("Results verified"),
    "monitoring.result": _("Results published"),
    "monitoring.cancelled": _("Sample cancelled"),
    "monitoring.void": _("Sample voided"),
    "monitoring.follow_up_opened": _("Follow-up opened"),
    "monitoring.follow_up_updated": _("Follow-up edited"),
    "monitoring.follow_up_proposed": _("Follow-up closing proposed"),
    "monitoring.follow_up_closed": _("Follow-up closed"),
    "monitoring.follow_up_reopened": _("Follow-up closing sent back"),
    "monitoring.rapid_test": _("Rapid test"),
    "monitoring.sale_hold": _("Positive confirmed, lot held"),
    "monitoring.hold_released": _("Held lot released"),
    "monitoring.plan_published": _("Monitoring plan published"),
    "monitoring.plan_changed": _("Published monitoring plan changed"),
}
