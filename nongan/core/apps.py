"""What an app plugs into the project, declared on its ``AppConfig``; the project finds it there.

Every app of the project subclasses ``NonganAppConfig`` and says what it offers:

* ``urls()``: ``[(prefix, urlconf), …]`` mounted in ``nongan/urls.py`` — its pages under ``<app>/``, extra API
  paths under ``api/v1/``, public paths at the top level;
* ``api_routes()``: ``[(prefix, viewset, basename), …]`` registered on the one router (``nongan/api_urls.py``);
* ``nav``: its entries in the navigation bar (``NavItem``, ordered by ``position`` across apps);
* ``demo(stdout=…, seed=…, producers=…)``: what ``nongan demo`` loads for it (lowest app first).

The methods import the app's own modules when they are called (the URL map, the router, the demo command),
so nothing is imported by name from a string and no list of apps is written anywhere but
``nongan.core.apporder.APP_ORDER``.
"""

from dataclasses import dataclass
from typing import Any

from django.apps import AppConfig, apps
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .apporder import rank


@dataclass(frozen=True)
class NavItem:
    """One entry of the navigation bar. ``who``: "all", "staff" (not producer accounts) or "admin"."""

    position: int
    key: str  # the page's ``section``, which highlights the entry
    label: str | Promise
    icon: str  # a Bootstrap icon name
    url_name: str
    who: str = "all"


class NonganAppConfig(AppConfig):
    """An app of the project (see the module docstring for what it may declare). ``INSTALLED_APPS`` names
    each app's config class (``nongan.<app>.apps.<Name>Config``)."""

    default = False  # never picked by Django's guess in place of an app's own config
    nav: tuple[NavItem, ...] = ()

    def urls(self) -> list[tuple[str, Any]]:
        return []

    def api_routes(self) -> list[tuple[str, Any, str]]:
        return []

    def demo(self, *, stdout, seed: int, producers: int) -> None:
        """Load this app's part of the demo district (called inside a transaction, lower apps first)."""


def project_apps() -> list[NonganAppConfig]:
    """The project's apps, lowest first (``APP_ORDER``; apps on one level in ``INSTALLED_APPS`` order)."""
    configs = [c for c in apps.get_app_configs() if isinstance(c, NonganAppConfig)]
    return sorted(configs, key=lambda c: rank(c.label))


def app_urlpatterns() -> list:
    """Every app's URL mounts in the order of the apps, those under a prefix (``certificates/``, ``v/`` …)
    before those at the top level (``""``). A mount under a prefix is found by one comparison of its prefix; a
    top-level mount has every one of its patterns tried, so the public page /v/<number> scanned from every
    label would otherwise first be compared with each page of the core and dashboard apps. No top-level
    pattern may begin with another mount's prefix (``tests/test_architecture.py``), so the order changes no
    answer."""
    from django.urls import include, path

    mounts = [(prefix, urlconf) for config in project_apps() for prefix, urlconf in config.urls()]
    ordered = [m for m in mounts if m[0]] + [m for m in mounts if not m[0]]
    return [path(prefix, include(urlconf)) for prefix, urlconf in ordered]


def nav_items() -> list[NavItem]:
    return sorted((item for config in project_apps() for item in config.nav), key=lambda i: i.position)


class CoreConfig(NonganAppConfig):
    name = "nongan.core"
    label = "core"
    verbose_name = _("Core")
    nav = (
        NavItem(90, "audit", pgettext_lazy("navigation", "Ledger"), "shield-check", "core:ledger", "admin"),
    )

    def urls(self):
        from . import api_urls, urls

        return [("", urls.root_urlpatterns), ("", urls), ("api/v1/", api_urls)]

    def api_routes(self):
        from .api_views import ROUTES

        return ROUTES

    def ready(self):
        from . import (
            auth,  # noqa: F401  (connects the logout hook that ends session-bound API tokens)
            checks,  # noqa: F401  (registers the installation's system checks)
            imports,  # (declares the import job's workflow)
            todo,
        )

        todo.register(imports.todo_items)

    def demo(self, *, stdout, seed, producers):
        from .services import regions_load

        regions_load()
