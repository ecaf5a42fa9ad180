"""Certificates API under /api/v1/: issue, revoke, verify and trace (same scope and services as the pages)."""

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from nongan.core import ratelimit
from nongan.core.api import TEXT_LOOKUP_REGEX, ScopedViewSetMixin
from nongan.core.idempotency import idempotency_parameter, idempotent_action
from nongan.core.scoping import get_scoped_or_404
from nongan.registry import selectors as registry

from . import qrsign, selectors, services
from .choices import KEY_REFUSALS, Basis, Unit
from .filtersets import CertificateFilterSet
from .models import Certificate, ProductionBatch


class CertificateSerializer(serializers.ModelSerializer):
    producer = serializers.CharField(source="producer.name", read_only=True)
    producer_code = serializers.CharField(source="producer.code", read_only=True)
    origin = serializers.CharField(source="origin.code", read_only=True)
    batch = serializers.CharField(source="batch.code", read_only=True, default=None)
    basis_sample = serializers.CharField(source="basis_sample.code", read_only=True, default=None)
    basis_rapid_test = serializers.IntegerField(source="basis_rapid_test_id", read_only=True, default=None)
    qr_text = serializers.SerializerMethodField()

    class Meta:
        model = Certificate
        fields = [
            "number",
            "producer",
            "producer_code",
            "batch",
            "product_name",
            "quantity",
            "unit",
            "origin",
            "issued_at",
            "promiser",
            "contact",
            "promise_form",
            "promise_text",
            "basis",
            "test_record",
            "basis_sample",
            "basis_rapid_test",
            "loss_quantity",
            "status",
            "revoked_at",
            "revoke_reason",
            "contradicted_by",
            "collected_quantity",
            "scan_count",
            "print_count",
            "suspicious",
            "kid",
            "qr_text",
        ]
        read_only_fields = fields

    def get_qr_text(self, obj) -> str:
        return qrsign.qr_text(services.public_base_url(), obj.number, obj.token)


class IssueSerializer(serializers.Serializer):
    batch = serializers.CharField(help_text=_("Batch number"))
    quantity = serializers.DecimalField(max_digits=14, decimal_places=2)
    unit = serializers.ChoiceField(choices=Unit.choices)
    count = serializers.IntegerField(min_value=1, max_value=services.MAX_BATCH_ISSUE, default=1)
    basis = serializers.ChoiceField(choices=Basis.choices, default=Basis.CONTROL)
    test_record = serializers.CharField(required=False, allow_blank=True, default="")
    basis_sample = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        default=None,
        max_length=20,
        help_text=_("Sample number of a qualified sample of this producer"),
    )
    basis_rapid_test = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        max_value=2**31 - 1,
        help_text=_("Id of a negative rapid test of this producer"),
    )


class RevokeSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=255)


class VerifySerializer(serializers.Serializer):
    text = serializers.CharField(help_text=_("The decoded QR text, or a certificate number"))


class CertificateViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Certificates in the caller's scope; issue (one or many per batch), revoke, trace."""

    base_queryset = Certificate.objects.select_related("producer", "origin", "batch", "basis_sample")
    serializer_class = CertificateSerializer
    lookup_field = "number"
    lookup_value_regex = TEXT_LOOKUP_REGEX
    filterset_class = CertificateFilterSet

    @extend_schema(
        request=IssueSerializer,
        responses={201: CertificateSerializer(many=True)},
        parameters=[idempotency_parameter()],
    )
    @idempotent_action
    def create(self, request):
        s = IssueSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        data = dict(s.validated_data)
        batch = get_scoped_or_404(
            request.user, ProductionBatch.objects.select_related("producer"), code=data.pop("batch")
        )
        certs = services.certificate_issue(actor=request.user, batch=batch, **data)
        return Response(CertificateSerializer(certs, many=True).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RevokeSerializer, responses=CertificateSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, number=None):
        c = self.get_object()
        s = RevokeSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        c = services.certificate_revoke(actor=request.user, certificate=c, reason=s.validated_data["reason"])
        return Response(CertificateSerializer(c).data)

    @extend_schema(responses={200: dict})
    @action(detail=True, methods=["get"], url_path="trace", url_name="trace")
    def trace_rows(self, request, number=None):
        """Back and forward trace of one certificate (named so that an HTTP TRACE request is not routed here)."""
        c = self.get_object()
        t = selectors.trace([c], viewer=request.user)
        cols = [k for k, _label in selectors.TRACE_COLUMNS]
        return Response(
            {
                "certificates": t.certificates,
                "rows": [dict(zip(cols, r, strict=True)) for r in selectors.trace_table(t)],
            }
        )


class VerifyView(APIView):
    """Public: verify a decoded QR text (signature, key, status) or look up a certificate number."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(request=VerifySerializer, responses={200: dict, 429: dict})
    def post(self, request):
        wait = ratelimit.hit("verify-api", ratelimit.client_address(request), settings.NONGAN_VERIFY_API_RATE)
        if wait:
            return Response(
                {"detail": _("Too many requests: try again in %(seconds)s seconds.") % {"seconds": wait}},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
                headers={"Retry-After": str(wait)},
            )
        s = VerifySerializer(data=request.data)
        s.is_valid(raise_exception=True)
        check = services.verify_text(s.validated_data["text"])
        if check.signature_failed:
            code = check.signature.code
            if (
                code in KEY_REFUSALS
            ):  # which key state refused it is for staff (kept on the scan), not said here
                code, message = "key_refused", services.key_refused_message()
            else:
                message = check.signature.message
            return Response(
                {"genuine": False, "code": code, "message": message}, status=status.HTTP_400_BAD_REQUEST
            )
        c = check.certificate
        if c is None:
            raise NotFound(_("No certificate with the number %(number)s.") % {"number": check.number})
        return Response(
            {
                "genuine": check.signed,
                "signature": "ok" if check.signed else None,
                "number": c.number,
                "status": c.status,
                "product": c.product_name,
                "quantity": str(c.quantity),
                "unit": c.unit,
                "origin": c.origin.full_name(),
                "issued_at": c.issued_at.isoformat(),
                "suspicious": c.suspicious,
                "scan_count": c.scan_count,
            }
        )


class CollectItemSerializer(serializers.Serializer):
    qr = serializers.CharField(
        max_length=1000,
        help_text=_("The scanned QR text (the whole address, or the signed token); not the number"),
    )
    quantity = serializers.DecimalField(max_digits=14, decimal_places=2)
    unit = serializers.ChoiceField(choices=Unit.choices)


class CollectSerializer(serializers.Serializer):
    collector = serializers.CharField(help_text=_("Registry number of the buyer / collector"))
    lot = serializers.CharField(max_length=64)
    items = CollectItemSerializer(many=True, allow_empty=False)


class CollectView(APIView):
    """Record a purchase with the certificates collected for it; each by its scanned QR (possession), never
    by its number alone."""

    @extend_schema(request=CollectSerializer, responses={201: dict}, parameters=[idempotency_parameter()])
    @idempotent_action
    def post(self, request):
        s = CollectSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        collector = get_scoped_or_404(request.user, registry.producers(), code=d["collector"].strip())
        cols = services.purchase_record(
            actor=request.user,
            collector=collector,
            lot=d["lot"],
            items=[(i["qr"], i["quantity"], i["unit"]) for i in d["items"]],
        )
        return Response(
            {
                "collections": [
                    {
                        "id": c.pk,
                        "certificate": c.certificate.number,
                        "quantity": str(c.quantity),
                        "unit": c.unit,
                    }
                    for c in cols
                ]
            },
            status=status.HTTP_201_CREATED,
        )


ROUTES = [("certificates", CertificateViewSet, "certificate")]
