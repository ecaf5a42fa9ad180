"""API building blocks shared by every app."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.response import Response

from . import versions
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


# ------------------------------------------------------------------------------------------ versions
IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description=(
        'The ETag of the record as you read it (e.g. "3"). When it is no longer the current version the '
        "answer is 412 and nothing is saved. Without it, the body's `version` is checked if given; a write "
        "with neither is accepted (it can still lose only to a save that happens while it runs)."
    ),
)


class StaleVersionSerializer(serializers.Serializer):
    """The body of a 412: the record changed after the version the client started from."""

    detail = serializers.CharField()
    code = serializers.CharField()
    your_version = serializers.IntegerField()
    version = serializers.IntegerField(help_text="The current version (also the response's ETag).")
    changed = serializers.DictField(
        child=serializers.DictField(),
        help_text='Each field changed since your version: {"was": …, "now": …}.',
    )


def versioned_update_schema(serializer_class):
    """The schema of PUT/PATCH on a versioned record (``If-Match``, the 412 answer)."""
    return extend_schema(
        parameters=[IF_MATCH],
        responses={200: serializer_class, 412: OpenApiResponse(StaleVersionSerializer, "Stale version")},
    )


class VersionedUpdateMixin:
    """Detail GETs answer with an ``ETag`` (the record's version); PUT/PATCH check ``If-Match`` (or the body's
    ``version``) against it and answer 412 with what changed when it is stale. ``perform_update`` passes
    ``self.expected_version`` to the app's update service, whose save is the compare-and-set."""

    expected_version = None

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        return Response(self.get_serializer(instance).data, headers={"ETag": versions.etag(instance)})

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        instance = self.get_object()
        expected = versions.parse_etag(request.headers.get("If-Match"))
        if expected is None and isinstance(request.data, dict) and "version" in request.data:
            expected = request.data.get("version")
        versions.expect(instance, expected)  # StaleVersion: the exception handler answers 412
        self.expected_version = instance.version if expected is not None else None
        serializer = self.get_serializer(instance, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        self.perform_update(serializer)
        instance = serializer.instance
        instance._prefetched_objects_cache = {}
        return Response(self.get_serializer(instance).data, headers={"ETag": versions.etag(instance)})
