"""The one API router; each app declares its viewsets in ``AppConfig.api_routes()`` (see ``nongan.core.apps``)."""

from rest_framework.routers import DefaultRouter

from nongan.core.apps import project_apps

router = DefaultRouter()

for config in project_apps():
    for prefix, viewset, basename in config.api_routes():
        router.register(prefix, viewset, basename=basename)
