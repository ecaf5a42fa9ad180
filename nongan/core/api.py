"""API building blocks shared by every app."""

from rest_framework import viewsets

from .scoping import scoped


class ScopedViewSetMixin:
    """Every queryset goes through the jurisdiction choke point."""

    base_queryset = None

    def get_queryset(self):
        return scoped(self.request.user, self.base_queryset.all())


class ReadOnlyScopedViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass
