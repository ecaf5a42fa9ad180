"""Public scans and the counterfeit signals they raise."""

import datetime as dt
import math
from decimal import Decimal, InvalidOperation

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from ..choices import ScanResult
from ..models import Certificate, CertificateEvent, Scan
from .common import convert

# Counterfeit signals: more scans than the quantity explains, or scans too far apart too fast.
SCANS_BASE = 20
SCANS_PER_KG = Decimal("0.2")  # one consumer pack of 5 kg
SCANS_PER_PIECE = 3
IMPLAUSIBLE_KMH = 200
IMPLAUSIBLE_MIN_KM = 100
MAX_PLACES_PER_DAY = 5


def expected_scans(c: Certificate) -> int:
    kg = convert(c.quantity, c.unit, "kg")
    if kg is not None:
        return SCANS_BASE + int(kg * SCANS_PER_KG)
    return SCANS_BASE + int(c.quantity) * SCANS_PER_PIECE


def _km(lat1, lon1, lat2, lon2) -> float:
    p1, p2 = math.radians(float(lat1)), math.radians(float(lat2))
    dp, dl = p2 - p1, math.radians(float(lon2) - float(lon1))
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371 * 2 * math.asin(math.sqrt(a))


def _coarse(value, limit) -> Decimal | None:
    try:
        d = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError, TypeError):
        return None
    return d if d.is_finite() and abs(d) <= limit else None


@transaction.atomic
def scan_record(
    *, certificate: Certificate, number: str, result: str, place: str = "", latitude=None, longitude=None
) -> Scan:
    """Log a public scan. Coordinates are kept to 0.01° (about 1 km). Flags a possible counterfeit when
    the code is scanned far more often than its quantity explains, or in places too far apart too fast."""
    if connection.vendor == "postgresql":
        # A scan log is not ledger data: do not wait for the WAL flush (PostgreSQL only; at most the
        # last few hundred milliseconds of scans are lost if the server crashes).
        with connection.cursor() as cur:
            cur.execute("SET LOCAL synchronous_commit TO OFF")
    lat = _coarse(latitude, 90) if latitude not in (None, "") else None
    lon = _coarse(longitude, 180) if longitude not in (None, "") else None
    if lat is None or lon is None:
        lat = lon = None
    scan = Scan(
        certificate=certificate,
        number=number[:40],
        result=result,
        place=(place or "")[:64],
        latitude=lat,
        longitude=lon,
    )
    reasons = []
    if result == ScanResult.BAD_SIGNATURE:
        reasons.append(_("A QR code with this number carries an invalid signature."))
    if result in (ScanResult.GENUINE, ScanResult.UNSIGNED, ScanResult.REVOKED):
        Certificate.objects.filter(pk=certificate.pk).update(scan_count=F("scan_count") + 1)
        certificate.scan_count += 1  # as read with the page; concurrent scans may add a few more
        limit = expected_scans(certificate)
        if certificate.scan_count > limit:
            reasons.append(
                _("Scanned %(count)s times, more than its quantity explains (%(limit)s).")
                % {"count": certificate.scan_count, "limit": limit}
            )
    if lat is not None:
        last = (
            Scan.objects.filter(certificate=certificate, latitude__isnull=False)
            .order_by("-time", "-id")
            .values_list("latitude", "longitude", "time")
            .first()
        )
        if last is not None:
            km = _km(last[0], last[1], lat, lon)
            hours = max((timezone.now() - last[2]).total_seconds() / 3600, 1 / 60)
            if km >= IMPLAUSIBLE_MIN_KM and km / hours > IMPLAUSIBLE_KMH:
                reasons.append(
                    _("Scanned %(km)s km from the previous scan within %(minutes)s minutes.")
                    % {"km": int(km), "minutes": int(hours * 60)}
                )
    if scan.place:
        since = timezone.now() - dt.timedelta(hours=24)
        places = set(
            Scan.objects.filter(certificate=certificate, time__gte=since)
            .exclude(place="")
            .values_list("place", flat=True)
            .distinct()[: MAX_PLACES_PER_DAY + 1]
        )
        places.add(scan.place)
        if len(places) > MAX_PLACES_PER_DAY:
            reasons.append(
                _("Scanned in %(count)s different places within 24 hours.") % {"count": len(places)}
            )
    if reasons:
        scan.flagged = True
        scan.flag_reason = "；".join(str(r) for r in reasons)[:255]
        if not certificate.suspicious:
            Certificate.objects.filter(pk=certificate.pk).update(
                suspicious=True, suspicious_reason=scan.flag_reason
            )
            CertificateEvent.objects.create(
                certificate=certificate, kind="suspicious", reason=scan.flag_reason
            )
            certificate.suspicious, certificate.suspicious_reason = True, scan.flag_reason
    scan.save()
    return scan
