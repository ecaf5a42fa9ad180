"""Every word Chinese: every page of a small demo district, as every role, read in Chinese, shows no English.

One set-up (the apps' own demo builders, on a few dozen producers, over the shared ``users`` accounts), then
each role walks the site: every page without arguments, and for every page with arguments the first link to it
that the role meets (one producer, one sample, one certificate, one draw …). API, admin, downloads and POST-only
paths are not pages. Each page's visible text (tags, scripts and styles stripped; placeholders, titles and
button labels kept) is checked for

(a) a msgid of the project's catalogs shown as it is: one without a translation, or one whose translation the
    page did not use (a label evaluated before the language was chosen);
(b) a raw stored value: a choice value of a model field, a ledger kind (``certificate.issue``), an audit action;
(c) English words (runs of lower-case ASCII words) outside the allow-list of units, codes and brand names.

Beyond the links, the same reading covers what a crawl does not open: the result entry and correction forms with
their errors, an import job's page, the pages shown after a submit with their message, the sheet names and header
rows of every list export and template, and the text of a printed sample record (PDF).

Then one page in English shows the English label: the switcher still works.
"""

import io
import re
import time
from collections import defaultdict
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.conf import settings
from django.test import Client
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve
from django.utils import translation

from nongan.core.apps import project_apps
from nongan.core.models import LedgerEntry, User

from .test_catalogs import CATALOGS, parse_po

pytestmark = pytest.mark.django_db

DEMO_PRODUCERS = 30
ROLES = ("admin", "qk", "village", "producer", "sampler", "analyst", "enforcement", "market")

# Paths that are not pages to read: the API and its docs, the admin, language switching, downloads.
SKIP_PREFIXES = ("api/", "django-admin/", "i18n/", "jsi18n/", "logout/")
SKIP_SUFFIXES = (".xlsx", ".pdf", ".json", ".py", ".svg", ".csv", ".zip", ".<str:fmt>")
SKIP_NAMES = {"photo_file"}
# Pages the walk must reach (lists, and one detail page of each kind): else it proves nothing about them.
MUST_REACH = (
    "ledger/",
    "users/<int:pk>/",
    "registry/producers/<int:pk>/",
    "monitoring/samples/<str:code>/",
    "monitoring/follow-ups/<int:pk>/",
    "monitoring/plans/<int:year>/",
    "certificates/c/<str:number>/",
    "certificates/batches/<str:code>/",
    "draws/<int:pk>/",
    "draws/public/<str:code>/",
    "v/<str:code>",
)

# English that belongs on a Chinese page: units, codes, standards, formats and brand names, the language switcher.
ALLOWED_WORDS = {
    # units
    "kg",
    "mg",
    "g",
    "ml",
    "mL",
    "L",
    "km",
    "ha",
    "µg",
    "ug",
    "ppm",
    "min",
    "ms",
    "s",
    "px",
    # formats, products and protocols
    "Excel",
    "xlsx",
    "csv",
    "pdf",
    "json",
    "svg",
    "png",
    "jpg",
    "jpeg",
    "http",
    "https",
    "www",
    "Chromium",
    "Chrome",
    "Edge",
    "Firefox",
    "Safari",
    "WPS",
    "Android",
    "iPhone",
    "WeChat",
    "htmx",
    "Bootstrap",
    "ECharts",
    "Django",
    "Python",
    "Swagger",
    "Redoc",
    "Token",
    "Bearer",
    # the language switcher names itself in each language
    "English",
    # names kept in Latin letters in Chinese text: a statistical method, the API description format, a pinyin example
    "Wilson",
    "OpenAPI",
    "qkz",
    "mm",
    # Latin names and laboratory terms that stay in Latin / English in Chinese documents
    "Ed",
    "spp",
    "var",
    "sp",
}
ALLOWED_PATTERNS = [
    re.compile(r"https?://\S+"),  # links written out (public URLs on labels, the verify page)
    re.compile(r"\S+@\S+\.\S+"),  # e-mail addresses
    re.compile(r"\b[0-9a-f]{16,}\b"),  # hashes, seeds, key ids
    re.compile(r"\bnongan [a-z-]+( --?[a-z-]+)*"),  # command lines named in help texts
    re.compile(r"\bdraw_verify\.py\b"),
]
WORD = re.compile(r"(?<![\w./\-#])[A-Za-z][A-Za-z']*(?![\w/\-#])")
DOTTED_KIND = re.compile(r"\b[a-z][a-z_]+\.[a-z][a-z_]+\b")
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\w*\}")


class _Text(HTMLParser):
    """Visible text of a page, as (text, in_code) pieces: text nodes outside <script>/<style>/<template>, and the
    placeholder, title, aria-label, alt and button labels a reader sees. ``in_code``: inside <code>, <kbd>,
    <samp> or <pre> (commands and codes)."""

    HIDDEN = {"script", "style", "template"}
    CODE = {"code", "kbd", "samp", "pre"}
    VOID = {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
    }

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.pieces: list[tuple[str, bool]] = []
        self.links: list[str] = []
        self._hidden = 0
        self._code = 0
        self._english: list[str] = []  # open elements marked lang="en" (English names given as data)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in self.HIDDEN:
            self._hidden += 1
        if tag in self.CODE:
            self._code += 1
        if self._english and tag == self._english[-1] and tag not in self.VOID:
            self._english.append(tag)
        elif a.get("lang", "").startswith("en") and tag not in self.VOID:
            self._english.append(tag)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        for name in ("placeholder", "title", "aria-label", "alt", "data-bs-title"):
            if a.get(name):
                self.pieces.append((a[name], False))
        if tag == "input" and a.get("type") in ("submit", "button", "reset") and a.get("value"):
            self.pieces.append((a["value"], False))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag in self.HIDDEN:
            self._hidden -= 1
        if tag in self.CODE:
            self._code -= 1

    def handle_endtag(self, tag):
        if self._english and tag == self._english[-1]:
            self._english.pop()
        if tag in self.HIDDEN and self._hidden:
            self._hidden -= 1
        if tag in self.CODE and self._code:
            self._code -= 1

    def handle_data(self, data):
        if self._hidden or self._english:
            return
        text = " ".join(data.split())
        if text:
            self.pieces.append((text, self._code > 0))


def page_text(html: str) -> tuple[list[tuple[str, bool]], list[str]]:
    parser = _Text()
    parser.feed(html)
    parser.close()
    return parser.pieces, parser.links


def _msgids() -> tuple[set[str], set[str]]:
    """(msgids without a translation, translated msgids) of the project's catalogs — English sentences and
    labels long enough not to be a code (at least one lower-case word of three letters)."""
    untranslated, translated = set(), set()
    for po in CATALOGS:
        for e in parse_po(po):
            msgid = e["msgid"]
            if not msgid or not re.search(r"[a-z]{3}", msgid):
                continue
            text = " ".join(msgid.split())
            done = e["msgstr"] and all(e["msgstr"].values()) and "fuzzy" not in e["flags"]
            (translated if done else untranslated).add(text)
    return untranslated, translated


def _stored_values() -> set[str]:
    """Values stored in the database that must never reach a page as they are: the choice values of the
    project's model fields, the ledger's kinds, the audit actions."""
    values: set[str] = set()
    labels = {c.label for c in project_apps()}
    for model in apps.get_models():
        if model._meta.app_label not in labels:
            continue
        for field in model._meta.get_fields():
            for value, _label in getattr(field, "flatchoices", None) or ():
                if isinstance(value, str) and re.fullmatch(r"[a-z][a-z_.]+", value):
                    values.add(value)
    values.update(LedgerEntry.objects.values_list("kind", flat=True).distinct())
    return values


def _usernames() -> set[str]:
    """Login names are data, not interface: a login (or a text that is one) is not English."""
    return set(User.objects.values_list("username", flat=True))


def _routes():
    """(route, pattern) for every path of the site, the API, admin and downloads aside."""

    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                yield prefix + str(p.pattern), p

    for route, pattern in walk(get_resolver().url_patterns):
        if route.startswith(SKIP_PREFIXES) or route.endswith(SKIP_SUFFIXES) or pattern.name in SKIP_NAMES:
            continue
        yield route, pattern


def _local(href: str) -> str | None:
    public = settings.NONGAN_PUBLIC_URL.rstrip("/")
    if href.startswith(public):
        href = href[len(public) :]
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


class Findings:
    def __init__(self, untranslated, translated, stored, allowed, data_texts):
        self.untranslated, self.translated, self.stored = untranslated, translated, stored
        self.allowed, self.data_texts = allowed, data_texts
        self.found: dict[tuple[str, str], set[str]] = defaultdict(set)  # (kind, text) -> {role url}

    def check(self, where: str, pieces: list[tuple[str, bool]]) -> None:
        full = " ".join(text for text, _ in pieces)
        for msgid in self.untranslated:
            if msgid in full:
                self.found[("untranslated msgid", msgid)].add(where)
        for text, in_code in pieces:
            if text in self.data_texts:
                continue
            for kind in DOTTED_KIND.findall(text):
                if kind in self.stored:
                    self.found[("raw kind", kind)].add(where)
            if in_code:  # a file's column names and values, commands: identifiers shown as such
                continue
            if text in self.translated:
                self.found[("msgid shown in English", text)].add(where)
            if text.strip(" :：()（）") in self.stored:
                self.found[("raw value", text)].add(where)
            for pattern in ALLOWED_PATTERNS:
                text = pattern.sub(" ", text)
            run: list[str] = []
            for m in re.finditer(r"[^\s]+|\s+", text):
                token = m.group()
                if token.isspace():
                    continue
                words = WORD.findall(token)
                english = [w for w in words if w not in self.allowed and re.search(r"[a-z]", w)]
                if english and re.fullmatch(r"[A-Za-z',.;:!?()\"-]+", token):
                    run.append(token.strip(",.;:!?()\"'"))
                    continue
                if english:  # a word within other characters (用途：all)
                    run.extend(english)
                if run:
                    self.found[("English", " ".join(run))].add(where)
                    run = []
            if run:
                self.found[("English", " ".join(run))].add(where)

    def report(self) -> str:
        lines = []
        for (kind, text), where in sorted(self.found.items()):
            shown = sorted(where)
            lines.append(f"{kind}: {text!r} — {', '.join(shown[:3])}{' …' if len(shown) > 3 else ''}")
        return "\n".join(lines)


def _crawl(client: Client, role: str, findings: Findings, routes, lang: str = "zh-hans") -> dict:
    """Visit every page the role can open: the argument-less ones, and for each pattern with arguments the
    first link to it met on the way. Returns {route: status} of what was visited."""
    visited: dict[str, int] = {}
    queue = [f"/{route}" for route, p in routes if not p.pattern.converters]
    wanted = {route for route, _ in routes}
    seen_urls = set(queue)
    while queue:
        url = queue.pop(0)
        try:
            match = resolve(urlsplit(url).path)
        except Resolver404:
            continue
        if match.route not in wanted or match.route in visited:
            continue
        response = client.get(url, HTTP_ACCEPT_LANGUAGE=lang)
        if response.status_code == 404:
            continue  # a page that needs a query (?id=…): the links met later may carry it
        visited[match.route] = response.status_code
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        pieces, links = page_text(response.content.decode())
        findings.check(f"{role} {url}", pieces)
        for href in links:
            local = _local(href)
            if local and local not in seen_urls:
                seen_urls.add(local)
                queue.append(local)
    return visited


# The shared accounts, once the demo has found them by their logins, get logins and names as the bureau's staff
# have: pinyin logins (the shared ones are English words, which would hide the same words left untranslated) and
# Chinese names.
STAFF = {
    "admin": ("quguanli", "赵建国"),
    "qk": ("qingkouzhen", "钱立新"),
    "zw": ("zhewangzhen", "孙海燕"),
    "village": ("cunxieguan", "李春生"),
    "producer": ("lvyuanshe", "周德成"),
    "sampler": ("chouyangyuan", "吴晓峰"),
    "analyst": ("jianceyuan", "郑秀英"),
    "analyst2": ("fuheyuan", "王丽华"),
    "enforcement": ("zhifayuan", "冯志刚"),
    "market": ("shichangyuan", "陈玉兰"),
}


@pytest.fixture
def demo_district(users):
    """A small demo district: the apps' own demo builders over the shared accounts, on a few dozen producers."""
    for key, (_username, full_name) in STAFF.items():
        User.objects.filter(pk=getattr(users, key).pk).update(full_name=full_name)
    for config in project_apps():
        config.demo(stdout=io.StringIO(), seed=320707, producers=DEMO_PRODUCERS)
    for key, (username, _full_name) in STAFF.items():
        User.objects.filter(pk=getattr(users, key).pk).update(username=username)
    return users


def _read(client, findings, who: str, url: str, data: dict | None = None):
    """GET ``url`` (or POST ``data`` to it), follow the redirect and read the page the user lands on: the
    form with its errors, or the page showing the message of what was done."""
    if data is None:
        r = client.get(url, follow=True, HTTP_ACCEPT_LANGUAGE="zh-hans")
    else:
        r = client.post(url, data, follow=True, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert r.status_code == 200, (who, url, r.status_code)
    findings.check(f"{who} {'POST' if data is not None else 'GET'} {url}", page_text(r.content.decode())[0])
    return r


def _export_urls() -> list[str]:
    """The list exports that take no argument (``…/export.xlsx``)."""

    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern) and not p.pattern.converters:
                yield prefix + str(p.pattern)

    return [
        f"/{r}" for r in walk(get_resolver().url_patterns) if r.endswith(".xlsx") and not r.startswith("api/")
    ]


def _beyond_the_crawl(users, findings) -> int:
    """What a crawl of links does not open: the result entry and correction forms (and their errors), an
    import job's page, the messages shown after a submit, the header rows of the list exports and the text
    of a printed sample record. Returns how many were read."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from openpyxl import load_workbook
    from pypdf import PdfReader

    from nongan.core.models import ImportJob
    from nongan.monitoring.models import LabResult, Sample, UnqualifiedFollowUp

    read = 0
    lab = Client()
    lab.force_login(users.analyst)
    received = Sample.objects.filter(state="received").order_by("pk").first()
    url = f"/monitoring/samples/{received.code}/results/"
    _read(lab, findings, "analyst", url)
    form = {"r-TOTAL_FORMS": "1", "r-INITIAL_FORMS": "0", "r-0-analyte": "毒死蜱", "r-0-unit": "mg/kg"}
    _read(lab, findings, "analyst", url, {**form, "r-0-value": "十"})  # the field's error
    r = _read(lab, findings, "analyst", url, {**form, "r-0-value": "0.01"})  # saved: the message
    assert "检测结果已保存" in r.content.decode()
    result = LabResult.objects.filter(sample=received, is_current=True).get()
    url = f"/monitoring/results/{result.pk}/correct/"
    _read(lab, findings, "analyst", url)
    _read(lab, findings, "analyst", url, {"value": "0.02", "unit": "mg/kg", "reason": ""})
    csv = "sample,analyte,value,unit\nCY000000000,毒死蜱,0.01,mg/kg\n".encode()
    r = _read(
        lab,
        findings,
        "analyst",
        "/monitoring/results/import/",
        {"file": SimpleUploadedFile("检测结果.csv", csv)},
    )
    job = ImportJob.objects.filter(created_by=users.analyst).latest("pk")
    _read(lab, findings, "analyst", f"/imports/{job.pk}/")
    registered = Sample.objects.filter(state="registered").order_by("pk").first()
    r = _read(
        lab, findings, "analyst", f"/monitoring/samples/{registered.code}/transition/", {"action": "receive"}
    )
    read += 8
    admin = Client()
    admin.force_login(users.admin)
    fu = UnqualifiedFollowUp.objects.filter(status="open").order_by("pk").first()
    if fu is not None:
        data = {
            "trace_note": "已核查生产记录。",
            "measures": "责令召回。",
            "case_number": "",
            "version": fu.version,
        }
        _read(admin, findings, "admin", f"/monitoring/follow-ups/{fu.pk}/", data)
        read += 1
    for url in _export_urls():
        r = admin.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        if r.status_code != 200:
            continue
        book = load_workbook(io.BytesIO(b"".join(r.streaming_content) if r.streaming else r.content))
        for sheet in book.worksheets:  # each sheet's name and header row
            header = [str(c.value) for c in next(sheet.iter_rows(max_row=1), ()) if c.value is not None]
            findings.check(f"admin {url} (header)", [(h, False) for h in (sheet.title, *header)])
        read += 1
    r = admin.get(f"/monitoring/samples/{registered.code}/print.pdf", HTTP_ACCEPT_LANGUAGE="zh-hans")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(r.content)).pages)
    findings.check(f"admin {registered.code}/print.pdf", [(line, False) for line in text.splitlines()])
    return read + 1


def test_every_page_for_every_role_reads_in_chinese(demo_district):
    users = demo_district
    started = time.monotonic()
    untranslated, translated = _msgids()
    usernames = _usernames()
    findings = Findings(untranslated, translated, _stored_values(), ALLOWED_WORDS | usernames, usernames)
    routes = list(_routes())
    coverage: dict[str, set[str]] = defaultdict(set)
    for role in (None, *ROLES):
        client = Client()
        if role is not None:
            client.force_login(getattr(users, role))
        for route, status in _crawl(client, role or "anonymous", findings, routes).items():
            if status == 200:
                coverage[route].add(role or "anonymous")
    elapsed = time.monotonic() - started
    beyond = _beyond_the_crawl(users, findings)
    # the walk reached the pages that matter: lists and one detail page of each kind
    unreached = [route for route in MUST_REACH if not coverage.get(route)]
    assert (unreached, findings.report()) == ([], ""), (
        f"{len(findings.found)} untranslated texts on {len(coverage)} pages and {beyond} more ({elapsed:.1f} s)"
    )

    # English still works: the language switcher turns the same page to the English labels
    client = Client()
    client.force_login(users.admin)
    with translation.override(translation.get_language()):  # the request leaves English active in this thread
        client.post("/i18n/setlang/", {"language": "en", "next": "/ledger/"})
        english = client.get("/ledger/").content.decode()
    assert (
        '<td class="cell-first" data-label="Kind">Certificate issued</td>' in english
        and "开具合格证" not in english
    )


def test_the_projects_wording_wins_over_the_libraries():
    """Django merges the catalogs and the first installed app wins (django.contrib.admin before ours): a msgid our
    catalogs translate must read as we translate it (“Filter” is 筛选, not the admin's 过滤器). LOCALE_PATHS (the
    core catalog) come first: a wording of ours that a library would override is written there."""
    wrong = {}
    with translation.override("zh-hans"):
        for po in CATALOGS:
            for e in parse_po(po):
                if not e["msgid"] or "msgid_plural" in e or not e["msgstr"].get(0):
                    continue
                shown = (
                    translation.pgettext(e["msgctxt"], e["msgid"])
                    if e.get("msgctxt")
                    else translation.gettext(e["msgid"])
                )
                if shown != e["msgstr"][0]:
                    wrong[e["msgid"]] = (e["msgstr"][0], shown)
    assert wrong == {}
