"""The markup of the public verification page /v/<code> for a certificate that exists, built in Python.

Every QR scan in the county lands here, so the page is made without the template engine (which took about four
fifths of the request's time for this page): the shell around it (head, header, scripts) is the public base
template, rendered once per language and process with markers where the title, content and scripts go; the
certificate's part is ``format_html`` over the translated texts. Everything interpolated is escaped. The
not-found and bad-number answers still render ``certificates/public/verify.html``.
"""

from django.template.defaultfilters import floatformat
from django.template.loader import get_template
from django.templatetags.static import static
from django.urls import reverse
from django.utils import dateformat, timezone, translation
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

MARKS = ("\x00title\x00", "\x00content\x00", "\x00scripts\x00")
_SHELLS: dict[str, tuple[str, str, str, str]] = {}


def shell(language: str | None = None) -> tuple[str, str, str, str]:
    """The public base page cut at its title, content and scripts (rendered once per language)."""
    language = language or translation.get_language()
    parts = _SHELLS.get(language)
    if parts is None:
        html = get_template("certificates/public/_shell.html").render({"marks": MARKS})
        head, rest = html.split(MARKS[0])
        middle, rest = rest.split(MARKS[1])
        before_scripts, tail = rest.split(MARKS[2])
        parts = _SHELLS[language] = (head, middle, before_scripts, tail)
    return parts


def _status(ctx) -> SafeString:
    c, result, signature = ctx["c"], ctx["result"], ctx["signature"]
    if result == "bad_signature":
        return format_html(
            '<div class="alert alert-danger" data-testid="verify-status"><i class="bi bi-exclamation-octagon"></i> '
            "<strong>{}</strong><br>{}</div>",
            _("Possibly counterfeit"),
            signature,
        )
    if c.status == "revoked":
        when = format_html(" ({})", dateformat.format(_local(c.revoked_at), "Y-m-d")) if c.revoked_at else ""
        why = format_html("：{}", c.revoke_reason) if c.revoke_reason else ""
        return format_html(
            '<div class="alert alert-warning" data-testid="verify-status"><i class="bi bi-slash-circle"></i> '
            "<strong>{}</strong>{}{}</div>",
            _("This certificate has been revoked"),
            when,
            why,
        )
    if signature == "ok":
        return format_html(
            '<div class="alert alert-success" data-testid="verify-status"><i class="bi bi-patch-check"></i> '
            "<strong>{}</strong><br>{}</div>",
            _("Genuine and current"),
            _("The signature is valid: issued through the supervision platform, content unaltered."),
        )
    return format_html(
        '<div class="alert alert-info" data-testid="verify-status"><i class="bi bi-info-circle"></i> '
        "<strong>{}</strong><br>{}</div>",
        _("Registered and current"),
        _(
            "This number is registered on the platform. Compare the details below with the label; scan the QR "
            "code to check its signature."
        ),
    )


def _local(value):
    return timezone.localtime(value) if timezone.is_aware(value) else value


def _warnings(c) -> SafeString:
    out = []
    if c.suspicious:
        out.append(
            format_html(
                '<div class="alert alert-danger small" data-testid="verify-suspicious"><i class="bi '
                'bi-exclamation-triangle"></i> {} {}</div>',
                _("The supervision authority has confirmed counterfeit copies of this code:"),
                c.suspicious_reason,
            )
        )
    if c.contradicted_by:
        out.append(
            format_html(
                '<div class="alert alert-danger small"><i class="bi bi-exclamation-triangle"></i> {}</div>',
                _("A later sample of this lot did not pass (promise contradicted by the sampling result)."),
            )
        )
    return mark_safe("".join(out))


def _details(ctx) -> SafeString:
    c, public = ctx["c"], ctx["public"]
    basis = format_html("{}", c.get_basis_display())
    if c.basis_sample_id or c.basis_rapid_test_id:
        basis = format_html("{}：<span data-basis-record>{}</span>", basis, c.basis_record_label)
    rows = [
        (_("Number"), "col-8 font-monospace", c.number),
        (_("Product"), "col-8", c.product_name),
        (_("Amount"), "col-8", format_html("{} {}", floatformat(c.quantity, "-2"), c.unit)),
        (_("Origin"), "col-8", public["origin"]),
        (_("Issue time"), "col-8", dateformat.format(_local(c.issued_at), "Y年n月j日 H:i")),
        (_("Promising party"), "col-8", public["promiser"]),
        (_("Issuer"), "col-8", public["issuer"]),
        (_("Contact"), "col-8", public["contact"]),
        (_("Basis"), "col-8", basis),
        (_("Promise"), "col-8 small", c.promise_text),
    ]
    return format_html(
        '<div class="card shadow-sm mb-3"><div class="card-body"><dl class="row mb-0">{}</dl></div></div>',
        format_html_join("", '<dt class="col-4">{}</dt><dd class="{}">{}</dd>', rows),
    )


def _parents(ctx) -> SafeString:
    parents = ctx["parents"]
    if not parents:
        return mark_safe("")
    more = ""
    if ctx["parent_count"] > len(parents):
        more = format_html('<p class="small text-muted">… {}</p>', ctx["parent_count"])
    return format_html(
        '<h2 class="h6">{}</h2><ul class="list-unstyled small">{}</ul>{}',
        _("Made from collected certificates"),
        format_html_join(
            "",
            '<li><a href="{}" class="font-monospace">{}</a> {} · {}</li>',
            (
                (reverse("certificates_verify", args=[p.number]), p.number, p.product_name, p.origin.name)
                for p in parents
            ),
        ),
        more,
    )


def _place(ctx) -> SafeString:
    if ctx["placed"]:
        return format_html(
            '<p class="small text-success" data-testid="place-recorded"><i class="bi bi-geo-alt"></i> {}</p>',
            _("Thank you: the place of your check was recorded."),
        )
    if not ctx["places"]:
        return mark_safe("")
    token = ctx["token"]
    return format_html(
        '<form method="get" action="{}" class="card card-body bg-white mb-3 small" data-scan-place>{}'
        '<input type="hidden" name="placed" value="1"><input type="hidden" name="lat" value="">'
        '<input type="hidden" name="lon" value="">'
        '<label class="form-label mb-1" for="scan-town">{}</label><div class="d-flex flex-wrap gap-2">'
        '<select class="form-select form-select-sm w-auto" id="scan-town" name="town"><option value="">{}</option>'
        "{}</select>"
        '<button class="btn btn-sm btn-outline-success" type="submit">{}</button>'
        '<button class="btn btn-sm btn-outline-secondary" type="button" data-scan-locate hidden>'
        '<i class="bi bi-crosshair"></i> {}</button></div></form>',
        reverse("certificates_verify", args=[ctx["c"].number]),
        format_html('<input type="hidden" name="s" value="{}">', token) if token else "",
        _("Where are you checking this certificate? (optional; shown to others only as the township)"),
        _("Choose a township"),
        ctx["places"],
        _("Record the place"),
        _("Use my location"),
    )


def _scans(ctx) -> SafeString:
    return format_html(
        '<h2 class="h6">{} <span class="badge text-bg-secondary">{}</span></h2>'
        '<ul class="list-unstyled small text-muted">{}</ul>',
        _("Scan history"),
        ctx["scan_total"],
        format_html_join(
            "",
            "<li>{}{}</li>",
            ((when, format_html(" · {}", place) if place else "") for when, place in ctx["scans"]),
        ),
    )


def render(ctx) -> str:
    """The whole page for the context ``_render_verify`` builds (c, public, signature, result, scans,
    scan_total, parents, parent_count, places, token, placed)."""
    head, middle, before_scripts, tail = shell()
    content = format_html(
        '<h1 class="h4 text-center mb-3">承诺达标合格证</h1>{}{}{}{}{}{}'
        '<p class="small text-muted mt-4">{} <a href="{}">/v/keys.json</a></p>',
        _status(ctx),
        _warnings(ctx["c"]),
        _details(ctx),
        _parents(ctx),
        _place(ctx),
        _scans(ctx),
        _("Offline check: the QR carries an Ed25519 signature; public keys:"),
        reverse("certificates_public_keys"),
    )
    scripts = ""
    if ctx["places"] and not ctx["placed"]:
        scripts = format_html('<script src="{}"></script>', static("nongan/verify.js"))
    return "".join((head, format_html("{}", ctx["c"].number), middle, content, before_scripts, scripts, tail))
