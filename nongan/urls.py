"""URL map. Each app mounts its pages under its own prefix and its API under /api/v1/."""

import importlib.util

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from nongan.api_urls import router
from nongan.core.urls import root_urlpatterns

urlpatterns = [
    *root_urlpatterns,
    path("", include("nongan.core.urls")),
    path("registry/", include("nongan.registry.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("api/v1/", include(router.urls)),
    path("api/v1/", include("nongan.core.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
    path("django-admin/", admin.site.urls),
]
# Apps that plug in later mount their pages under /<app>/ and extra API paths under /api/v1/.
# Public routes such as /v/<code> sit at the top level (public_urls).
for app in ("standards", "draws", "monitoring", "certificates"):
    for module, prefix in (
        (f"nongan.{app}.urls", f"{app}/"),
        (f"nongan.{app}.api_urls", "api/v1/"),
        (f"nongan.{app}.public_urls", ""),
    ):
        if importlib.util.find_spec(module) is not None:
            urlpatterns.append(path(prefix, include(module)))

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
