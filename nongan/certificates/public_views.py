"""The public verification page /v/<code> and the published public keys (no login)."""

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.html import format_html_join
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_GET

from nongan.core import ratelimit
from nongan.core.validators import mask_phone, public_producer_name

from . import pagestore, public_page, qrsign, scanlog, selectors, services
from .choices import KEY_REFUSALS

MAX_PARENTS = 20
MESSAGES = {
    qrsign.MALFORMED: lambda: _(
        "The QR code cannot be read: it is not a certificate QR of this platform, or it is incomplete."
    ),
    qrsign.BAD_NUMBER: lambda: _("The certificate number is wrong: its check character does not match."),
    qrsign.BAD_SIGNATURE: lambda: _(
        "Invalid signature: the QR content was altered or the signature forged. Do not trust this certificate."
    ),
    qrsign.NUMBER_MISMATCH: lambda: _(
        "The number in the address differs from the signed number; the QR may have been altered."
    ),
}


def public_signature_message(code: str) -> str:
    if code in KEY_REFUSALS:
        return services.key_refused_message()
    return MESSAGES.get(code, MESSAGES[qrsign.BAD_SIGNATURE])()


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


def _place_options() -> str:
    """The picker's <option>s of the fixed list of townships (the list is kept five minutes by the service; its
    markup is made once per list)."""
    choices = services.scan_place_choices()
    if _PLACE_OPTIONS[0] != choices:
        _PLACE_OPTIONS[:] = [choices, format_html_join("", '<option value="{}">{}</option>', choices)]
    return _PLACE_OPTIONS[1]


_PLACE_OPTIONS: list = [None, ""]


def too_many_requests(request, wait: int):
    """429 with a Chinese page (and Retry-After) for a client over its rate limit."""
    response = render(request, "certificates/public/rate_limited.html", {"wait": wait}, status=429)
    response["Retry-After"] = str(wait)
    return response


@require_GET
@never_cache
def verify(request, code: str):
    """The public page of one certificate. A view changes nothing but the scan log (one row, written in a
    batch within seconds); the page itself may be reused within the process (``pagestore``)."""
    address = ratelimit.client_address(request)
    wait = ratelimit.hit("verify", address, settings.NONGAN_VERIFY_RATE)
    if wait:
        return too_many_requests(request, wait)
    token = request.GET.get("s", "").strip()
    placed = request.GET.get("placed") == "1"  # the place picker's answer for the view just made
    reuse = pagestore.enabled()
    key = f"{translation.get_language()}|{code}|{token}|{placed}"
    page = pagestore.get(key) if reuse else None
    if page is None:
        begun = pagestore.begin()
        page, number = _render_verify(request, code, token, placed=placed)
        if reuse:
            pagestore.put(key, number, page, begun)
    body, status_code, scan = page
    if scan is not None:
        row = {
            "certificate_id": scan[0],
            "number": scan[1],
            "result": scan[2],
            "signature": scan[3],
            "town": request.GET.get("town", "")[:12],
            "latitude": request.GET.get("lat"),
            "longitude": request.GET.get("lon"),
            "client": address,
        }
        if not (placed and services.scan_place_attach(**row)):
            scanlog.add(services.scan_row(**row))
    return HttpResponse(body, status=status_code)


def _render_verify(request, code: str, token: str, *, placed: bool = False):
    """((body, status, (certificate, number, result, signature code) of the scan to log or None), the
    certificate number the page is about)."""
    check = services.verify(code, token, page=True)
    ctx = {"code": code}
    if check.certificate is None:
        if check.verdict == services.Verdict.NOT_FOUND:
            ctx["error"] = _("No certificate with the number %(number)s.") % {"number": check.number}
            return (
                render(request, "certificates/public/verify.html", ctx, status=404).content,
                404,
                None,
            ), check.number
        ctx["error"] = _(
            "The certificate number %(number)s is not valid: check the characters you typed."
        ) % {"number": code}
        return (render(request, "certificates/public/verify.html", ctx, status=400).content, 400, None), code
    c, number, result = check.certificate, check.number, check.scan_result
    if check.signed:
        signature = "ok"
    elif check.signature is not None:
        signature = public_signature_message(check.signature.code)
    else:
        signature = None
    ctx.update(
        {
            "c": c,
            "public": _public_view_of(c),
            "signature": signature,
            "result": result,
            "scans": selectors.public_recent_scans(c),
            "scan_total": c.scan_count,
            "parents": [
                link.parent for link in c.inputs.select_related("parent", "parent__origin")[:MAX_PARENTS]
            ]
            if c.promise_form == "buyer"
            else [],
            "parent_count": c.inputs.count() if c.promise_form == "buyer" else 0,
            # The place picker: the township from the fixed list, or the browser's location (static/verify.js).
            "places": _place_options(),
            "token": token,
            "placed": placed,
        }
    )
    # The public page reads nothing of the request, the user or the session: built without the template
    # engine (public_page), which an anonymous scan of every label in the county would otherwise wait on.
    body = public_page.render(ctx).encode()
    return (
        body,
        200,
        (c.pk, number, result, check.signature.code if check.signature_failed else ""),
    ), c.number
