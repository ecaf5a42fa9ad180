"""API building blocks shared by every app."""

from rest_framework import serializers, viewsets

from .scoping import scoped

# URL lookup of a viewset by a text code: DRF's default, minus NUL, which PostgreSQL cannot even compare
# (psycopg raises DataError: a 500). With it a NUL in the path is simply not found.
TEXT_LOOKUP_REGEX = r"[^/.\x00]+"


class SlugRelatedField(serializers.SlugRelatedField):
    """DRF's SlugRelatedField, refusing a NUL character as an invalid value before the database sees it."""

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            self.fail("invalid")
        return super().to_internal_value(data)


class ScopedViewSetMixin:
    """Every queryset goes through the jurisdiction choke point."""

    base_queryset = None

    def get_queryset(self):
        return scoped(self.request.user, self.base_queryset.all())


class ReadOnlyScopedViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass
