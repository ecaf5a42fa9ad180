"""Core API: tokens (obtain with a password, list and revoke your own) and password change."""

import threading

from django.contrib.auth import authenticate, update_session_auth_hash
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import translation
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView
from rest_framework import exceptions, mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from . import accounts
from .models import ApiToken


def _as_drf(exc: DjangoValidationError) -> exceptions.ValidationError:
    if hasattr(exc, "error_dict"):
        return exceptions.ValidationError(exc.message_dict)
    return exceptions.ValidationError({"non_field_errors": exc.messages})


class ObtainTokenSerializer(serializers.Serializer):
    username = serializers.CharField(write_only=True, max_length=150)
    password = serializers.CharField(write_only=True, max_length=4096, style={"input_type": "password"})
    name = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=64)
    days = serializers.IntegerField(write_only=True, required=False, min_value=1)


class NewTokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text=_("The key: shown only in this answer, store it now."))
    id = serializers.IntegerField()
    expires = serializers.DateTimeField()


class ObtainTokenView(APIView):
    """POST username and password (and optionally a name and a lifetime in days); returns a new token for
    `Authorization: Token <key>`. The key is shown only in this answer; it expires after `days` (at most the
    installation's limit, 90 days by default) and can be revoked at /api/v1/auth/tokens/."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    serializer_class = ObtainTokenSerializer

    @method_decorator(sensitive_post_parameters())
    def dispatch(self, *args, **kwargs):
        return super().dispatch(*args, **kwargs)

    @extend_schema(request=ObtainTokenSerializer, responses={201: NewTokenSerializer})
    def post(self, request):
        s = ObtainTokenSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        # Through the authentication backends, so the lockout (django-axes) counts and refuses here too.
        user = authenticate(request._request, username=d["username"], password=d["password"])
        if user is None or not user.is_active:
            raise exceptions.ValidationError({"non_field_errors": [_("Wrong username or password.")]})
        try:
            token, key = accounts.token_create(
                actor=user, user=user, name=d.get("name", ""), days=d.get("days")
            )
        except DjangoValidationError as exc:
            raise _as_drf(exc) from None
        return Response(
            {"token": key, "id": token.pk, "expires": token.expires}, status=status.HTTP_201_CREATED
        )


class TokenSerializer(serializers.ModelSerializer):
    active = serializers.BooleanField(source="is_active", read_only=True)

    class Meta:
        model = ApiToken
        fields = [
            "id",
            "name",
            "prefix",
            "created",
            "expires",
            "last_used",
            "revoked_at",
            "revoke_reason",
            "active",
        ]
        read_only_fields = fields


class TokenViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Your own API tokens (the keys themselves are never shown again); revoke one with POST …/revoke/."""

    serializer_class = TokenSerializer
    pagination_class = None

    def get_queryset(self):
        user = self.request.user
        if not getattr(user, "is_authenticated", False):
            return ApiToken.objects.none()
        return ApiToken.objects.filter(user=user).order_by("-created")

    @extend_schema(request=None, responses={200: TokenSerializer})
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        token = self.get_object()
        try:
            token = accounts.token_revoke(actor=request.user, token=token)
        except DjangoValidationError as exc:
            raise _as_drf(exc) from None
        return Response(TokenSerializer(token).data)


class PasswordChangeSerializer(serializers.Serializer):
    old_password = serializers.CharField(write_only=True, max_length=4096, style={"input_type": "password"})
    new_password = serializers.CharField(write_only=True, max_length=4096, style={"input_type": "password"})


class PasswordChangeView(APIView):
    """Change your own password (the current one is asked again). Your other login sessions end."""

    serializer_class = PasswordChangeSerializer

    @method_decorator(sensitive_post_parameters())
    def dispatch(self, *args, **kwargs):
        return super().dispatch(*args, **kwargs)

    @extend_schema(request=PasswordChangeSerializer, responses={204: None})
    def post(self, request):
        s = PasswordChangeSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        try:
            with transaction.atomic():
                accounts.password_change(
                    actor=request.user,
                    user=request.user,
                    old_password=s.validated_data["old_password"],
                    new_password=s.validated_data["new_password"],
                )
        except DjangoValidationError as exc:
            raise _as_drf(exc) from None
        if hasattr(request, "session") and request.session.session_key:
            update_session_auth_hash(request._request, request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


ROUTES = [("auth/tokens", TokenViewSet, "api-token-own")]


class SchemaView(SpectacularAPIView):
    """``/api/schema/``: the OpenAPI schema, generated once per process, language and API version, under a lock.

    drf-spectacular's generator keeps state while it walks the views, so two first requests generating at once
    in a threaded server could fail (a 500 seen under gunicorn's threads); generating is also slow (about a
    second). The schema is public (``SERVE_PUBLIC``) and depends on nothing but the code and the language, so
    one copy serves every caller until the process restarts with new code."""

    _lock = threading.Lock()
    _schemas: dict[tuple[str, str | None], dict] = {}

    def _get_schema_response(self, request):
        version = self.api_version or request.version or self._get_version_parameter(request)
        key = (translation.get_language() or "", version)
        with self._lock:
            schema = self._schemas.get(key)
            if schema is None:
                generator = self.generator_class(
                    urlconf=self.urlconf, api_version=version, patterns=self.patterns
                )
                schema = self._schemas[key] = generator.get_schema(request=request, public=self.serve_public)
        return Response(
            data=schema,
            headers={"Content-Disposition": f'inline; filename="{self._get_filename(request, version)}"'},
        )
