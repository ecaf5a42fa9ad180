"""The markup of the public verification page /v/<code> for a certificate that exists, built in Python.

Every QR scan in the county lands here, so the page is made without the template engine (which took about four
fifths of the request's time for this page): the shell around it (head, header, scripts) is the public base
template, rendered once per language and process with markers where the title, content and scripts go; the page's
fixed texts are translated once per language; the certificate's part is joined from them with every value escaped
(``_e``: Django's escaping of text, markup already made safe kept as it is). The not-found and bad-number answers
still render ``certificates/public/verify.html``.
"""

import html
import re

from django.template.defaultfilters import floatformat
from django.template.loader import get_template
from django.templatetags.static import static
from django.urls import get_script_prefix, reverse
from django.utils import dateformat, timezone, translation
from django.utils.safestring import SafeData
from django.utils.translation import gettext as _

MARKS = ("\x00title\x00", "\x00content\x00", "\x00scripts\x00")
_SHELLS: dict[str, tuple[str, str, str, str]] = {}
_TEXTS: dict[str, dict[str, str]] = {}
_URLS: dict[str, dict[str, str]] = {}


_SPECIAL = re.compile("[&<>\"']")


def _e(value) -> str:
    """``value`` escaped for HTML text or an attribute (as Django's ``escape``), unless it is already safe markup.
    Most values hold none of the five special characters: they are returned as they are after one search."""
    if isinstance(value, SafeData):
        return str(value)
    text = str(value)
    return html.escape(text) if _SPECIAL.search(text) else text


def shell(language: str | None = None) -> tuple[str, str, str, str]:
    """The public base page cut at its title, content and scripts (rendered once per language)."""
    language = language or translation.get_language()
    parts = _SHELLS.get(language)
    if parts is None:
        page = get_template("certificates/public/_shell.html").render({"marks": MARKS})
        head, rest = page.split(MARKS[0])
        middle, rest = rest.split(MARKS[1])
        before_scripts, tail = rest.split(MARKS[2])
        parts = _SHELLS[language] = (head, middle, before_scripts, tail)
    return parts


def _texts(language: str | None = None) -> dict[str, str]:
    """The page's fixed texts in the active language, escaped (translated once per language and process)."""
    language = language or translation.get_language()
    texts = _TEXTS.get(language)
    if texts is None:
        texts = _TEXTS[language] = {
            key: _e(text)
            for key, text in {
                "counterfeit": _("Possibly counterfeit"),
                "revoked": _("This certificate has been revoked"),
                "genuine": _("Genuine and current"),
                "genuine_detail": _(
                    "The signature is valid: issued through the supervision platform, content unaltered."
                ),
                "registered": _("Registered and current"),
                "registered_detail": _(
                    "This number is registered on the platform. Compare the details below with the label; scan "
                    "the QR code to check its signature."
                ),
                "suspicious": _("The supervision authority has confirmed counterfeit copies of this code:"),
                "contradicted": _(
                    "A later sample of this lot did not pass (promise contradicted by the sampling result)."
                ),
                "number": _("Number"),
                "product": _("Product"),
                "amount": _("Amount"),
                "origin": _("Origin"),
                "issued": _("Issue time"),
                "promiser": _("Promising party"),
                "issuer": _("Issuer"),
                "contact": _("Contact"),
                "basis": _("Basis"),
                "promise": _("Promise"),
                "parents": _("Made from collected certificates"),
                "placed": _("Thank you: the place of your check was recorded."),
                "where": _(
                    "Where are you checking this certificate? (optional; shown to others only as the township)"
                ),
                "choose": _("Choose a township"),
                "record": _("Record the place"),
                "locate": _("Use my location"),
                "scans": _("Scan history"),
                "offline": _("Offline check: the QR carries an Ed25519 signature; public keys:"),
            }.items()
        }
    return texts


def _urls() -> dict[str, str]:
    """The page's addresses under the current script prefix (reversed once per prefix)."""
    prefix = get_script_prefix()
    urls = _URLS.get(prefix)
    if urls is None:
        verify = reverse("certificates_verify", args=["0"])
        urls = _URLS[prefix] = {
            "verify": verify[:-1],
            "keys": reverse("certificates_public_keys"),
            "script": static("nongan/verify.js"),
        }
    return urls


def _verify_url(number: str) -> str:
    return _e(_urls()["verify"] + number)


def _local(value):
    return timezone.localtime(value) if timezone.is_aware(value) else value


def _issued(d) -> str:
    """``d`` as the page prints an issue time: 2026年3月5日 08:07 (dateformat's "Y年n月j日 H:i", written directly)."""
    return f"{d.year}年{d.month}月{d.day}日 {d.hour:02d}:{d.minute:02d}"


def _status(ctx, t) -> str:
    c, result, signature = ctx["c"], ctx["result"], ctx["signature"]
    if result == "bad_signature":
        return (
            '<div class="alert alert-danger" data-testid="verify-status"><i class="bi bi-exclamation-octagon"></i> '
            f"<strong>{t['counterfeit']}</strong><br>{_e(signature)}</div>"
        )
    if c.status == "revoked":
        when = f" ({_e(dateformat.format(_local(c.revoked_at), 'Y-m-d'))})" if c.revoked_at else ""
        why = f"：{_e(c.revoke_reason)}" if c.revoke_reason else ""
        return (
            '<div class="alert alert-warning" data-testid="verify-status"><i class="bi bi-slash-circle"></i> '
            f"<strong>{t['revoked']}</strong>{when}{why}</div>"
        )
    if signature == "ok":
        return (
            '<div class="alert alert-success" data-testid="verify-status"><i class="bi bi-patch-check"></i> '
            f"<strong>{t['genuine']}</strong><br>{t['genuine_detail']}</div>"
        )
    return (
        '<div class="alert alert-info" data-testid="verify-status"><i class="bi bi-info-circle"></i> '
        f"<strong>{t['registered']}</strong><br>{t['registered_detail']}</div>"
    )


def _warnings(c, t) -> str:
    out = ""
    if c.suspicious:
        out += (
            '<div class="alert alert-danger small" data-testid="verify-suspicious"><i class="bi '
            f'bi-exclamation-triangle"></i> {t["suspicious"]} {_e(c.suspicious_reason)}</div>'
        )
    if c.contradicted_by:
        out += (
            '<div class="alert alert-danger small"><i class="bi bi-exclamation-triangle"></i> '
            f"{t['contradicted']}</div>"
        )
    return out


def _details(ctx, t) -> str:
    c, public = ctx["c"], ctx["public"]
    basis = _e(c.get_basis_display())
    if c.basis_sample_id or c.basis_rapid_test_id:
        basis += f"：<span data-basis-record>{_e(c.basis_record_label)}</span>"
    rows = (
        ("number", "col-8 font-monospace", _e(c.number)),
        ("product", "col-8", _e(c.product_name)),
        ("amount", "col-8", f"{_e(floatformat(c.quantity, '-2'))} {_e(c.unit)}"),
        ("origin", "col-8", _e(public["origin"])),
        ("issued", "col-8", _issued(_local(c.issued_at))),
        ("promiser", "col-8", _e(public["promiser"])),
        ("issuer", "col-8", _e(public["issuer"])),
        ("contact", "col-8", _e(public["contact"])),
        ("basis", "col-8", basis),
        ("promise", "col-8 small", _e(c.promise_text)),
    )
    dl = "".join(f'<dt class="col-4">{t[key]}</dt><dd class="{cls}">{value}</dd>' for key, cls, value in rows)
    return (
        f'<div class="card shadow-sm mb-3"><div class="card-body"><dl class="row mb-0">{dl}</dl></div></div>'
    )


def _parents(ctx, t) -> str:
    parents = ctx["parents"]
    if not parents:
        return ""
    items = "".join(
        f'<li><a href="{_verify_url(p.number)}" class="font-monospace">{_e(p.number)}</a> {_e(p.product_name)} · '
        f"{_e(p.origin.name)}</li>"
        for p in parents
    )
    more = ""
    if ctx["parent_count"] > len(parents):
        more = f'<p class="small text-muted">… {_e(ctx["parent_count"])}</p>'
    return f'<h2 class="h6">{t["parents"]}</h2><ul class="list-unstyled small">{items}</ul>{more}'


def _place(ctx, t) -> str:
    if ctx["placed"]:
        return (
            '<p class="small text-success" data-testid="place-recorded"><i class="bi bi-geo-alt"></i> '
            f"{t['placed']}</p>"
        )
    if not ctx["places"]:
        return ""
    token = ctx["token"]
    hidden = f'<input type="hidden" name="s" value="{_e(token)}">' if token else ""
    return (
        f'<form method="get" action="{_verify_url(ctx["c"].number)}" class="card card-body bg-white mb-3 small" '
        f"data-scan-place>{hidden}"
        '<input type="hidden" name="placed" value="1"><input type="hidden" name="lat" value="">'
        '<input type="hidden" name="lon" value="">'
        f'<label class="form-label mb-1" for="scan-town">{t["where"]}</label><div class="d-flex flex-wrap gap-2">'
        '<select class="form-select form-select-sm w-auto" id="scan-town" name="town">'
        f'<option value="">{t["choose"]}</option>{_e(ctx["places"])}</select>'
        f'<button class="btn btn-sm btn-outline-success" type="submit">{t["record"]}</button>'
        '<button class="btn btn-sm btn-outline-secondary" type="button" data-scan-locate hidden>'
        f'<i class="bi bi-crosshair"></i> {t["locate"]}</button></div></form>'
    )


def _scans(ctx, t) -> str:
    items = "".join(
        f"<li>{_e(when)}{f' · {_e(place)}' if place else ''}</li>" for when, place in ctx["scans"]
    )
    return (
        f'<h2 class="h6">{t["scans"]} <span class="badge text-bg-secondary">{_e(ctx["scan_total"])}</span></h2>'
        f'<ul class="list-unstyled small text-muted">{items}</ul>'
    )


def render(ctx) -> str:
    """The whole page for the context ``_render_verify`` builds (c, public, signature, result, scans,
    scan_total, parents, parent_count, places, token, placed)."""
    language = translation.get_language()
    head, middle, before_scripts, tail = shell(language)
    t, urls = _texts(language), _urls()
    content = (
        '<h1 class="h4 text-center mb-3">承诺达标合格证</h1>'
        f"{_status(ctx, t)}{_warnings(ctx['c'], t)}{_details(ctx, t)}{_parents(ctx, t)}{_place(ctx, t)}"
        f"{_scans(ctx, t)}"
        f'<p class="small text-muted mt-4">{t["offline"]} <a href="{_e(urls["keys"])}">/v/keys.json</a></p>'
    )
    scripts = ""
    if ctx["places"] and not ctx["placed"]:
        scripts = f'<script src="{_e(urls["script"])}"></script>'
    return "".join((head, _e(ctx["c"].number), middle, content, before_scripts, scripts, tail))
