"""URL map. Each app mounts its pages under its own prefix and its API under /api/v1/."""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from nongan.api_urls import router

urlpatterns = [
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
for app in ("standards", "monitoring", "certificates"):
    try:
        urlpatterns.append(path(f"{app}/", include(f"nongan.{app}.urls")))
    except ModuleNotFoundError:
        pass

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
