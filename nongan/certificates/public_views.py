"""The public verification page /v/<code> and the published public keys (no login)."""

from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_GET

from nongan.core.validators import mask_phone, public_producer_name

from . import qrsign, selectors, services

MAX_PARENTS = 20
MESSAGES = {
    qrsign.MALFORMED: lambda: _(
        "The QR code cannot be read: it is not a certificate QR of this platform, or it is incomplete."
    ),
    qrsign.BAD_NUMBER: lambda: _("The certificate number is wrong: its check character does not match."),
    qrsign.UNKNOWN_KID: lambda: _(
        "Unknown signing key: this QR was not signed with a published key; it may be counterfeit."
    ),
    qrsign.BAD_SIGNATURE: lambda: _(
        "Invalid signature: the QR content was altered or the signature forged. Do not trust this certificate."
    ),
    qrsign.NUMBER_MISMATCH: lambda: _(
        "The number in the address differs from the signed number; the QR may have been altered."
    ),
}


@require_GET
@cache_control(max_age=300, public=True)
def keys_json(request):
    """The district's public keys as a JWK set (stable URL; retired keys stay listed)."""
    return JsonResponse(services.public_keys(), json_dumps_params={"ensure_ascii": False, "indent": 1})


@require_GET
def lookup(request):
    number = request.GET.get("number", "").strip()
    if number:
        code = qrsign.normalize_number(number)
        if "/" in code or len(code) > 64:  # not a number at all (and no path for the verify page)
            error = _("The certificate number %(number)s is not valid: check the characters you typed.") % {
                "number": number[:64]
            }
            return render(
                request, "certificates/public/verify.html", {"code": number[:64], "error": error}, status=400
            )
        return redirect("certificates_verify", code=code)
    return render(request, "certificates/public/lookup.html", {})


def _origin_text(region) -> str:
    names = []
    while region is not None and region.level in ("village", "township", "district"):
        names.append(region.name)
        if region.level == "district":
            break
        region = region.parent
    return "".join(reversed(names))


def _public_view_of(c):
    p = c.producer
    return {
        "promiser": public_producer_name(c.promiser, kind=p.type, person=p.legal_rep),
        "contact": mask_phone(c.contact),
        "issuer": public_producer_name(p.name, kind=p.type, person=p.legal_rep),
        "origin": "、".join(_origin_text(r) for r in c.grower_origins()),
    }


@require_GET
@never_cache
def verify(request, code: str):
    token = request.GET.get("s", "").strip()
    check = services.verify(code, token)
    ctx = {"code": code}
    if check.certificate is None:
        if check.verdict == services.Verdict.NOT_FOUND:
            ctx["error"] = _("No certificate with the number %(number)s.") % {"number": check.number}
            return render(request, "certificates/public/verify.html", ctx, status=404)
        ctx["error"] = _(
            "The certificate number %(number)s is not valid: check the characters you typed."
        ) % {"number": code}
        return render(request, "certificates/public/verify.html", ctx, status=400)
    c, number, result = check.certificate, check.number, check.scan_result
    if check.signed:
        signature = "ok"
    elif check.signature is not None:
        signature = MESSAGES.get(check.signature.code, MESSAGES[qrsign.BAD_SIGNATURE])()
    else:
        signature = None
    scan = services.scan_record(
        certificate=c,
        number=number,
        result=result,
        place=request.GET.get("place", "").replace("\x00", ""),  # PostgreSQL stores no NUL
        latitude=request.GET.get("lat"),
        longitude=request.GET.get("lon"),
    )
    ctx.update(
        {
            "c": c,
            "public": _public_view_of(c),
            "signature": signature,
            "result": result,
            "scan": scan,
            "scans": selectors.recent_scans(c),
            "parents": [
                link.parent for link in c.inputs.select_related("parent", "parent__origin")[:MAX_PARENTS]
            ]
            if c.promise_form == "buyer"
            else [],
            "parent_count": c.inputs.count() if c.promise_form == "buyer" else 0,
        }
    )
    return render(request, "certificates/public/verify.html", ctx)
