"""Public scans and the counterfeit signals aggregated from them.

A page view of /v/<number> writes one ``Scan`` row (through ``scanlog``: batched, flushed within seconds and on
shutdown) and changes nothing else. Whether a certificate may be counterfeit is never decided by a scan: staff
see the signals of their jurisdiction's certificates (``suspected_certificates``) and confirm or clear each with
a reason (``certificate_suspicion_review``, audited); only a confirmed certificate carries a public warning.
"""

import datetime as dt
import hashlib
import hmac
import time
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from nongan.core import audit, ledger
from nongan.core.choices import Role
from nongan.core.models import Region
from nongan.core.scoping import scoped
from nongan.core.services import root_region, townships

from ..choices import ScanResult
from ..models import Certificate, CertificateEvent, Scan
from .common import convert

# Signals (over the scans since the last review): more scans than the quantity explains, any scan whose token
# does not prove the number, many clients or many places within a day.
SCANS_BASE = 20
SCANS_PER_KG = Decimal("0.2")  # one consumer pack of 5 kg
SCANS_PER_PIECE = 3
MAX_CLIENTS_PER_DAY = 10
MAX_PLACES_PER_DAY = 3  # distinct 1° cells (about 100 km) or townships
SIGNAL_DAYS = 30  # scans older than this raise no signal
# Who reviews signals: staff with a jurisdiction who supervise the market.
REVIEW_ROLES = {
    Role.PROVINCE_ADMIN,
    Role.DISTRICT_ADMIN,
    Role.TOWNSHIP_SUPERVISOR,
    Role.ENFORCEMENT,
    Role.MARKET_CHECKER,
}


def expected_scans(c: Certificate) -> int:
    kg = convert(c.quantity, c.unit, "kg")
    if kg is not None:
        return SCANS_BASE + int(kg * SCANS_PER_KG)
    return SCANS_BASE + int(c.quantity) * SCANS_PER_PIECE


def _coarse(value, limit) -> Decimal | None:
    try:
        d = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError, TypeError):
        return None
    return d if d.is_finite() and abs(d) <= limit else None


def client_hash(address: str) -> str:
    """A keyed hash of a client address: counts distinct clients, reveals none."""
    if not address:
        return ""
    return hmac.new(settings.SECRET_KEY.encode(), address.encode(), hashlib.sha256).hexdigest()[:16]


def scan_places() -> list[Region]:
    """The fixed list a person may pick their place from: the townships of the installation."""
    root = root_region()
    return list(townships(root)) if root is not None else []


PLACE_CHOICES_SECONDS = 300


def scan_place_choices() -> list[tuple[str, str]]:
    """(code, name) of ``scan_places()`` for the public page's place picker, kept in the process for five
    minutes (the list of townships hardly ever changes; the busiest page should not read it every time)."""
    from django.core.cache import caches

    key = "scan-place-choices"
    choices = caches["local"].get(key)
    if choices is None:
        choices = [(r.code, r.name) for r in scan_places()]
        caches["local"].set(key, choices, PLACE_CHOICES_SECONDS)
    return choices


# A place picked on the page belongs to the scan the same client made of the same certificate this long before.
PLACE_ATTACH_MINUTES = 10


def scan_place_attach(**kwargs) -> bool:
    """The place picker's answer (``scan_row``'s arguments): put the place on the latest scan by the same client of
    the same certificate in the last ``PLACE_ATTACH_MINUTES`` that has none, instead of counting a second scan.
    Returns False when there is no such scan (the caller then logs this view as a scan of its own, so a link
    that carries the picker's parameters never hides a scan)."""
    from .. import scanlog

    row = scan_row(**kwargs)
    if not row.client or row.certificate_id is None:
        return False
    scanlog.flush()  # this process's pending scans first
    earlier = (
        Scan.objects.filter(
            certificate_id=row.certificate_id,
            client=row.client,
            region__isnull=True,
            latitude__isnull=True,
            time__gte=row.time - dt.timedelta(minutes=PLACE_ATTACH_MINUTES),
        )
        .order_by("-time", "-id")
        .values_list("pk", flat=True)
        .first()
    )
    if earlier is None:
        return False
    if row.region_id is not None or row.latitude is not None:
        Scan.objects.filter(pk=earlier).update(
            region_id=row.region_id, latitude=row.latitude, longitude=row.longitude
        )
    return True


def scan_row(
    *,
    certificate: Certificate | None = None,
    certificate_id: int | None = None,
    number: str,
    result: str,
    signature: str = "",
    town: str = "",
    latitude=None,
    longitude=None,
    client="",
) -> Scan:
    """The (unsaved) scan row of one page view. ``town`` counts only when it is the code of a township of the
    fixed list; coordinates are kept to 0.01°; ``client`` is the client's address, stored hashed; ``signature``
    is why the QR's signature failed (a ``SignatureCheck`` code, for staff)."""
    lat = _coarse(latitude, 90) if latitude not in (None, "") else None
    lon = _coarse(longitude, 180) if longitude not in (None, "") else None
    if lat is None or lon is None:
        lat = lon = None
    region_id = None
    if town and len(town) <= 12 and town.isdigit():
        root = root_region()
        if root is not None:
            region_id = townships(root).filter(code=town).values_list("pk", flat=True).first()
    return Scan(
        certificate_id=certificate.pk if certificate is not None else certificate_id,
        number=number[:40],
        result=result,
        signature=signature[:16],
        region_id=region_id,
        latitude=lat,
        longitude=lon,
        client=client_hash(client),
        time=timezone.now(),
    )


@transaction.atomic
def scan_record(**kwargs) -> Scan:
    """Log one public scan at once (the page itself uses the batched ``scanlog``). Changes nothing but the log
    and its count."""
    scan = scan_row(**kwargs)
    scan.save()
    Certificate.objects.filter(pk=scan.certificate_id).update(scan_count=F("scan_count") + 1)
    return scan


# ---------------------------------------------------------------- signals and review
@dataclass
class Suspect:
    certificate: Certificate
    scans: int
    bad_signatures: int
    clients_day: int
    places_day: int
    reasons: list[str] = field(default_factory=list)


def _since_review() -> Q:
    return Q(certificate__suspicion_reviewed_at__isnull=True) | Q(
        time__gt=F("certificate__suspicion_reviewed_at")
    )


def suspected_certificates(user, *, now=None) -> list[Suspect]:
    """The certificates of ``user``'s jurisdiction whose scans since their last review raise a signal, with the
    signals in words, plus those confirmed counterfeit. Worst first."""
    now = now or timezone.now()
    day = now - dt.timedelta(hours=24)
    scans = scoped(user, Scan.objects.all()).filter(
        _since_review(), certificate__isnull=False, time__gte=now - dt.timedelta(days=SIGNAL_DAYS)
    )
    rows = (
        scans.values("certificate")
        .annotate(
            total=Count("id"),
            bad=Count("id", filter=Q(result=ScanResult.BAD_SIGNATURE)),
            clients=Count("client", distinct=True, filter=Q(time__gte=day) & ~Q(client="")),
            towns=Count("region", distinct=True, filter=Q(time__gte=day)),
        )
        .filter(Q(total__gt=SCANS_BASE) | Q(bad__gt=0) | Q(clients__gt=MAX_CLIENTS_PER_DAY) | Q(towns__gt=0))
    )
    stats = {r["certificate"]: r for r in rows}
    # Distinct 1° cells of the last day (coordinates are private; only their count is used).
    cells: dict[int, set] = {}
    for cid, lat, lon in scans.filter(
        certificate__in=list(stats), time__gte=day, latitude__isnull=False
    ).values_list("certificate", "latitude", "longitude"):
        cells.setdefault(cid, set()).add((int(lat), int(lon)))
    confirmed = scoped(user, Certificate.objects.filter(suspicious=True)).values_list("pk", flat=True)
    ids = set(stats) | set(confirmed)
    certs = scoped(user, Certificate.objects.filter(pk__in=ids)).select_related(
        "producer", "suspicion_reviewed_by"
    )
    out = []
    for c in certs:
        r = stats.get(c.pk, {"total": 0, "bad": 0, "clients": 0, "towns": 0})
        places = max(len(cells.get(c.pk, ())), r["towns"])
        s = Suspect(c, r["total"], r["bad"], r["clients"], places)
        if r["bad"]:
            s.reasons.append(
                _("%(count)s scans carried a QR whose signature does not prove this number.")
                % {"count": r["bad"]}
            )
        limit = expected_scans(c)
        if r["total"] > limit:
            s.reasons.append(
                _("Scanned %(count)s times, more than its quantity explains (%(limit)s).")
                % {"count": r["total"], "limit": limit}
            )
        if r["clients"] > MAX_CLIENTS_PER_DAY:
            s.reasons.append(
                _("Scanned by %(count)s different clients within 24 hours.") % {"count": r["clients"]}
            )
        if places > MAX_PLACES_PER_DAY:
            s.reasons.append(_("Scanned in %(count)s different places within 24 hours.") % {"count": places})
        if s.reasons or c.suspicious:
            out.append(s)
    out.sort(key=lambda s: (not s.certificate.suspicious, -len(s.reasons), -s.scans))
    return out


SUSPECT_GENERATION_KEY = "certificates.suspected.generation"


def suspect_generation() -> str:
    """The generation of counterfeit-signal reviews: the to-do's cached counts are kept per generation, and a
    review starts a new one (``certificates.todo.suspected_count``)."""
    return cache.get_or_set(SUSPECT_GENERATION_KEY, "0", None)


def _new_suspect_generation() -> None:
    cache.set(SUSPECT_GENERATION_KEY, str(time.time_ns()), None)


def can_review(user) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or user.role in REVIEW_ROLES))


@transaction.atomic
def certificate_suspicion_review(
    *, actor, certificate: Certificate, decision: str, reason: str
) -> Certificate:
    """Staff decide on a certificate's counterfeit signals: ``confirm`` (the public page then warns, with the
    reason) or ``clear`` (the signals so far are explained; only later scans can raise new ones). Audited,
    ledgered, and an event on the certificate."""
    if not can_review(actor):
        raise PermissionDenied(_("Only supervision staff may review counterfeit signals."))
    if not scoped(actor, Certificate.objects.filter(pk=certificate.pk)).exists():
        raise ValidationError(_("This certificate is outside your jurisdiction."))
    if decision not in ("confirm", "clear"):
        raise ValidationError({"decision": _("Choose confirm or clear.")})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for the change.")})
    if len(reason) > 255:
        raise ValidationError({"reason": _("The reason is too long (at most 255 characters).")})
    c = Certificate.objects.select_for_update().get(pk=certificate.pk)
    before = audit.snapshot(c)
    c.suspicious = decision == "confirm"
    c.suspicious_reason = reason if c.suspicious else ""
    c.suspicion_reviewed_at = timezone.now()
    c.suspicion_reviewed_by = actor
    c.save(
        update_fields=["suspicious", "suspicious_reason", "suspicion_reviewed_at", "suspicion_reviewed_by"]
    )
    kind = "counterfeit_confirmed" if c.suspicious else "counterfeit_cleared"
    CertificateEvent.objects.create(certificate=c, kind=kind, reason=reason, actor=actor)
    audit.record_update(actor, c, before, reason=reason)
    ledger.append(
        kind=f"certificate.{kind}",
        ref=c.number,
        payload={"number": c.number, "reason": reason},
        actor=actor,
        region=c.producer.region,
        records=[Certificate.objects.get(pk=c.pk)],
    )
    transaction.on_commit(_new_suspect_generation)
    return c
