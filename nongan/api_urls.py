"""The one API router; each app registers its viewsets in its own ``api.py``."""

from importlib import import_module

from rest_framework.routers import DefaultRouter

router = DefaultRouter()

for module in (
    "nongan.core.api_views",
    "nongan.registry.api",
    "nongan.standards.api",
    "nongan.draws.api",
    "nongan.monitoring.api",
    "nongan.certificates.api",
):
    try:
        mod = import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise
        continue
    for prefix, viewset, basename in getattr(mod, "ROUTES", []):
        router.register(prefix, viewset, basename=basename)
