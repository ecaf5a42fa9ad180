"""The app order (``nongan.core.apporder``) holds: checked on the source (imports) and on the app registry
(model relations).

For every module of an app (``nongan/<app>/**.py``, migrations aside):

* no import of a higher app, nor of another app on the same level (``if TYPE_CHECKING:`` blocks aside);
* outside ``tests/``: from another app (core aside) only its ``selectors``, ``services``, ``choices`` and
  ``events``; no other app's private ``_name`` (core's included); no ``importlib`` / ``import_module`` /
  ``import_string`` / ``__import__`` (apps are found through their ``AppConfig``);
* the project modules (``nongan/urls.py``, ``nongan/api_urls.py`` …) import no app but core: the URL map and
  the API router find the apps through their ``AppConfig``.

And no model relation (foreign key, one-to-one, many-to-many, string references included) points up.
"""

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.apps import apps

from nongan.core.apporder import APP_ORDER, PUBLIC_MODULES, app_labels, may_use
from nongan.core.apps import NonganAppConfig

PACKAGE = Path(__file__).resolve().parents[1] / "nongan"
LABELS = set(app_labels())
DYNAMIC_IMPORTS = {"importlib", "import_module", "import_string", "__import__"}


@dataclass(frozen=True)
class Violation:
    app: str  # the app (or "project") whose code breaks the rule
    rule: str  # upward | interface | private | dynamic-import | project | relation
    what: str  # the imported module or name, the relation

    def __str__(self) -> str:
        return f"{self.app}: {self.rule}: {self.what}"


# ------------------------------------------------------------------------------------------------ the checker
def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk(node: ast.AST):
    """Every node below ``node`` except those inside ``if TYPE_CHECKING:`` (its ``else`` branch counts)."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            for sub in child.orelse:
                yield sub
                yield from _walk(sub)
            continue
        yield child
        yield from _walk(child)


def _absolute(module: str | None, level: int, package: str) -> str:
    if not level:
        return module or ""
    base = package.split(".")
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([module] if module else []))


def _target(dotted: str) -> tuple[str | None, list[str]]:
    """``nongan.registry.models.X`` → ("registry", ["models", "X"]); not an app of the project → (None, …)."""
    parts = dotted.split(".")
    if len(parts) >= 2 and parts[0] == "nongan" and parts[1] in LABELS:
        return parts[1], parts[2:]
    return None, parts


def check_source(source: str, *, app: str, package: str, in_tests: bool = False) -> list[Violation]:
    """The rules for one module of ``app`` (``package`` is the module's package, for relative imports).
    ``app`` "project" is the project's own modules (urls.py …): they may use core only."""
    found: list[Violation] = []
    tree = ast.parse(source)
    foreign_modules: dict[str, str] = {}  # local name → another app's module it is bound to

    def imported(module: str, symbol: str | None = None, local: str | None = None) -> None:
        """``module`` is imported (``symbol`` from it, bound to ``local`` when it is another app's module)."""
        dotted = f"{module}.{symbol}" if symbol else module
        target, rest = _target(module)
        if target is None or target == app:
            return
        if app == "project":
            if target != "core":
                found.append(Violation(app, "project", dotted))
            return
        if not may_use(app, target):
            found.append(Violation(app, "upward", dotted))
            return
        if in_tests:
            return
        if target != "core" and (len(rest) != 1 or rest[0] not in PUBLIC_MODULES):
            found.append(Violation(app, "interface", dotted))
        elif any(p.startswith("_") and not p.startswith("__") for p in [*rest, symbol or ""]):
            found.append(Violation(app, "private", dotted))
        if local:
            foreign_modules[local] = module

    for node in _walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "importlib" and not in_tests:
                    found.append(Violation(app, "dynamic-import", alias.name))
                imported(alias.name, local=alias.asname)
        elif isinstance(node, ast.ImportFrom):
            module = _absolute(node.module, node.level, package)
            if module.split(".")[0] == "importlib" and not in_tests:
                found.append(Violation(app, "dynamic-import", module))
            target, rest = _target(module)
            for alias in node.names:
                if alias.name in DYNAMIC_IMPORTS and not in_tests:
                    found.append(Violation(app, "dynamic-import", f"{module}.{alias.name}"))
                if target is not None and not rest:  # from nongan.registry import selectors: a module
                    imported(f"{module}.{alias.name}", local=alias.asname or alias.name)
                else:
                    imported(module, alias.name)
        elif isinstance(node, ast.Name) and node.id in DYNAMIC_IMPORTS - {"importlib"} and not in_tests:
            found.append(Violation(app, "dynamic-import", node.id))
        elif (
            isinstance(node, ast.Attribute)
            and not in_tests
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
            and isinstance(node.value, ast.Name)
            and node.value.id in foreign_modules
        ):
            found.append(Violation(app, "private", f"{foreign_modules[node.value.id]}.{node.attr}"))
    return found


def _source_files():
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        if "migrations" in rel.parts:
            continue
        if len(rel.parts) == 1:
            yield "project", "nongan", path, False
        elif rel.parts[0] in LABELS:
            package = ".".join(("nongan", *rel.parts[:-1]))
            if rel.name == "__init__.py":
                package = ".".join(("nongan", *rel.parts[:-1]))
            yield rel.parts[0], package, path, "tests" in rel.parts


def source_violations() -> list[Violation]:
    found: list[Violation] = []
    for app, package, path, in_tests in _source_files():
        found += check_source(path.read_text(encoding="utf-8"), app=app, package=package, in_tests=in_tests)
    return found


def relation_violations() -> list[Violation]:
    found = []
    for config in apps.get_app_configs():
        if config.label not in LABELS:
            continue
        for model in config.get_models(include_auto_created=True):
            for field in model._meta.get_fields(include_hidden=True):
                if not field.is_relation or field.auto_created or field.related_model is None:
                    continue
                target = field.related_model._meta.app_label
                if not may_use(config.label, target):
                    found.append(
                        Violation(
                            config.label,
                            "relation",
                            f"{model._meta.label}.{field.name} → {field.related_model._meta.label}",
                        )
                    )
    return found


# Violations that are being removed; nothing may be added to this list, only taken off.
KNOWN: set[str] = set()


# ------------------------------------------------------------------------------------------------ the tests
def test_every_app_of_the_project_has_its_place_in_the_order():
    installed = [c.label for c in apps.get_app_configs() if c.name.startswith("nongan.")]
    assert all(isinstance(apps.get_app_config(x), NonganAppConfig) for x in installed)
    assert sorted(installed) == sorted(LABELS)
    ranks = {label: level for level, labels in enumerate(APP_ORDER) for label in labels}
    assert [ranks[x] for x in installed] == sorted(ranks[x] for x in installed), (
        "INSTALLED_APPS follow the order"
    )


def test_the_code_keeps_the_order():
    found = {str(v) for v in source_violations() + relation_violations()}
    assert sorted(found - KNOWN) == [], "see nongan/core/apporder.py and docs/architecture.md"
    assert sorted(KNOWN - found) == [], "fixed: take it off KNOWN"


@pytest.mark.parametrize(
    ("app", "source", "expected"),
    [
        ("registry", "from nongan.monitoring.selectors import plans_for", ["registry: upward: "]),
        ("standards", "from nongan.draws import selectors", ["standards: upward: "]),
        ("certificates", "import nongan.dashboard.views", ["certificates: upward: "]),
        ("core", "from ..registry.models import Producer", ["core: upward: "]),
        ("certificates", "from nongan.monitoring.models import Sample", ["certificates: interface: "]),
        ("certificates", "from nongan.monitoring.services.results import x", ["certificates: interface: "]),
        ("certificates", "from nongan.registry import demo", ["certificates: interface: "]),
        ("certificates", "from nongan.monitoring.services import _hook", ["certificates: private: "]),
        (
            "certificates",
            "from nongan.monitoring import services as m\nm._hook()",
            ["certificates: private: "],
        ),
        ("monitoring", "from nongan.core.excel import _save", ["monitoring: private: "]),
        ("monitoring", "import importlib", ["monitoring: dynamic-import: "]),
        ("monitoring", "from importlib import import_module", ["monitoring: dynamic-import: "] * 2),
        (
            "monitoring",
            "from django.utils.module_loading import import_string",
            ["monitoring: dynamic-import: "],
        ),
        ("monitoring", "__import__('nongan.certificates')", ["monitoring: dynamic-import: "]),
        ("project", "from nongan.registry import api", ["project: project: "]),
        # allowed
        ("certificates", "from nongan.monitoring import selectors, services, choices, events", []),
        ("certificates", "from nongan.monitoring.selectors import plans_for", []),
        ("registry", "from nongan.core.models import Region\nfrom nongan.core import audit", []),
        ("monitoring", "from .models import Sample\nfrom . import services", []),
        (
            "registry",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from nongan.monitoring.models import S",
            [],
        ),
        ("project", "from nongan.core.apps import project_urlpatterns", []),
    ],
)
def test_the_checker_catches_what_it_should(app, source, expected):
    found = [str(v) for v in check_source(source, app=app, package=f"nongan.{app}")]
    assert [f[: len(e)] for f, e in zip(found, expected, strict=False)] == expected
    assert len(found) == len(expected), found


def test_tests_may_set_up_data_with_lower_apps_models_but_not_reach_up():
    assert (
        check_source(
            "from nongan.registry.models import Producer", app="monitoring", package="x", in_tests=True
        )
        == []
    )
    found = check_source(
        "from nongan.certificates.models import C", app="monitoring", package="x", in_tests=True
    )
    assert [v.rule for v in found] == ["upward"]


def _routes(patterns, prefix: str = "") -> list[str]:
    """Every route of a URL list, with the prefixes of the includes on its way (regexes without their ^)."""
    from django.urls import URLResolver

    out = []
    for p in patterns:
        route = prefix + str(p.pattern).lstrip("^")
        out += _routes(p.url_patterns, route) if isinstance(p, URLResolver) else [route]
    return out


def test_top_level_mounts_claim_no_prefix_of_another_mount():
    """``app_urlpatterns`` tries the mounts under a prefix before the top-level ones: that is the same URL map
    only while no top-level route begins with another mount's prefix (else the prefixed mount would now win)."""
    from django.urls import include

    from nongan.core.apps import app_urlpatterns, project_apps

    mounts = [(prefix, urlconf) for config in project_apps() for prefix, urlconf in config.urls()]
    prefixes = {prefix for prefix, _conf in mounts if prefix}
    confs = [include(conf)[0] for prefix, conf in mounts if not prefix]
    top = [r for conf in confs for r in _routes(getattr(conf, "urlpatterns", conf))]
    assert top, "the core and dashboard apps mount their pages at the top level"
    assert "v/" in prefixes and "certificates/" in prefixes
    assert [r for r in top if r.startswith(tuple(prefixes))] == []
    order = [str(p.pattern) for p in app_urlpatterns()]
    assert order.index("v/") < order.index(""), (
        "the public page is found before the top-level pages are tried"
    )


def test_the_public_page_is_found_without_trying_the_top_level_pages():
    from django.urls import resolve

    match = resolve("/v/320707250000001X")
    assert match.url_name == "certificates_verify" and match.kwargs == {"code": "320707250000001X"}
    assert [resolve(p).url_name for p in ("/v/", "/v/keys.json")] == [
        "certificates_lookup",
        "certificates_public_keys",
    ]
