"""URL map. The apps' pages, extra API paths and public paths are found through each app's AppConfig
(``nongan.core.apps``); the API viewsets through the one router of ``nongan/api_urls.py``."""

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_replace
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView

from nongan.api_urls import router
from nongan.core.api_views import SchemaView
from nongan.core.apps import app_urlpatterns

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("api/v1/", include(router.urls)),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    # Swagger UI in its split form: the page and its start-up script are separate files (no inline script).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    # Redoc writes its styles at run time (styled-components) and parses in a blob: worker: this page alone
    # allows inline styles and blob workers (still no inline script).
    path(
        "api/redoc/",
        csp_replace({"style-src": [SELF, UNSAFE_INLINE], "worker-src": [SELF, "blob:"]})(
            SpectacularRedocView.as_view(url_name="schema")
        ),
        name="api-redoc",
    ),
    path("django-admin/", admin.site.urls),
    *app_urlpatterns(),
]
