"""API of the standards: editions and limits (read-only lists) and the judgement endpoint."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from . import selectors
from .choices import Rule, Verdict
from .engine import judge, parse_date
from .filtersets import LimitFilterSet
from .models import Edition, MaxResidueLimit


class EditionSerializer(serializers.ModelSerializer):
    amends = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    supersedes = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    limit_count = serializers.IntegerField(read_only=True)
    is_current = serializers.SerializerMethodField()

    class Meta:
        model = Edition
        fields = [
            "id",
            "code",
            "family",
            "kind",
            "amends",
            "supersedes",
            "supersedes_text",
            "issued",
            "in_force",
            "scope",
            "source",
            "limit_count",
            "is_current",
        ]

    def get_is_current(self, obj) -> bool:
        """In force today (the current full edition of its family, or an amendment in force on top of it)."""
        current = self.context.setdefault("_current_ids", selectors.current_edition_ids())
        return obj.pk in current


class LimitSerializer(serializers.ModelSerializer):
    edition = serializers.CharField(source="edition.code", read_only=True)
    analyte = serializers.CharField(source="analyte.name_zh", read_only=True)
    analyte_en = serializers.CharField(source="analyte.name_en", read_only=True)
    food = serializers.CharField(source="food.name", read_only=True)
    food_code = serializers.CharField(source="food.code", read_only=True)

    class Meta:
        model = MaxResidueLimit
        fields = [
            "id",
            "edition",
            "analyte",
            "analyte_en",
            "food",
            "food_code",
            "food_text",
            "excludes",
            "limit_mg_kg",
            "temporary",
            "source",
            "note",
        ]


@extend_schema_view(
    list=extend_schema(summary="Editions of the residue standards", tags=["standards"]),
    retrieve=extend_schema(summary="One edition", tags=["standards"]),
)
class EditionViewSet(viewsets.ReadOnlyModelViewSet):
    """Editions and amendments of GB 2763 / GB 31650, with their limit counts and which are in force today."""

    serializer_class = EditionSerializer
    lookup_field = "code"
    lookup_value_regex = r"[^/\x00]+"  # codes have dots ("GB 2763.1-2022"); a NUL is not found (PostgreSQL)
    filterset_fields = ["family", "kind"]

    def get_queryset(self):
        return selectors.editions(self.request.user).prefetch_related("supersedes")


@extend_schema_view(
    list=extend_schema(
        summary="Maximum residue limits",
        tags=["standards"],
        description="Filter by food (the food and the groups above it), analyte, edition code.",
    ),
    retrieve=extend_schema(summary="One limit", tags=["standards"]),
)
class LimitViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = LimitSerializer
    filterset_class = LimitFilterSet

    def get_queryset(self):
        return selectors.limits(self.request.user)


def _optional(help_text) -> serializers.CharField:
    """An optional text input of the judge request (absent, null or blank all mean "not given")."""
    return serializers.CharField(required=False, allow_null=True, allow_blank=True, help_text=help_text)


class JudgeInputSerializer(serializers.Serializer):
    food = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=_(
            "Food name or other name, e.g. 黄瓜 (optional for a veterinary result with species and tissue)."
        ),
    )
    analyte = serializers.CharField(help_text=_("Pesticide or drug, Chinese or English name, e.g. 腐霉利."))
    value = serializers.CharField(help_text=_('Measured value, e.g. "0.8".'))
    unit = serializers.CharField(help_text=_("mg/kg, μg/kg (ug/kg, µg/kg); mg/L or μg/L for milk."))
    lod = _optional(_("Limit of detection, same unit as the value."))
    loq = _optional(_("Limit of quantification, same unit as the value."))
    date = _optional(_("Sampling date YYYY-MM-DD; default today."))
    policy = _optional(_("Policy for banned substances: mrl (default) or strict."))
    fat = _optional(_("Fat content in %, where the limit depends on it."))
    species = _optional(_("Animal species of a veterinary result: 猪, 牛, 羊, 家禽, 鸡, 鸭, 兔, 鱼, 虾."))
    tissue = _optional(_("Tissue: 肌肉, 脂肪, 肝, 肾, 皮+脂, 奶, 蛋, 皮+肉."))
    decision_limit = _optional(
        _("The method's decision limit (CCα) for a prohibited substance, same unit as the value.")
    )
    parts = serializers.DictField(
        child=serializers.CharField(),
        required=False,
        allow_null=True,
        help_text=_(
            'Component results of a residue defined as a sum, e.g. {"恩诺沙星": "60", "环丙沙星": "50"}.'
        ),
    )


class JudgementSerializer(serializers.Serializer):
    verdict = serializers.ChoiceField(choices=Verdict.choices)
    reason = serializers.CharField()
    limit_mg_kg = serializers.DecimalField(max_digits=18, decimal_places=6, allow_null=True)
    value_mg_kg = serializers.DecimalField(max_digits=18, decimal_places=9, allow_null=True)
    edition = serializers.CharField()
    rule = serializers.ChoiceField(choices=Rule.choices)
    rule_detail = serializers.CharField()
    policy = serializers.CharField()
    flags = serializers.ListField(child=serializers.CharField())
    source = serializers.CharField()


class JudgeView(APIView):
    """Judge one result against the standards in force on its sampling date."""

    @extend_schema(
        summary="Judge a residue result",
        tags=["standards"],
        request=JudgeInputSerializer,
        responses={200: JudgementSerializer},
        examples=[
            OpenApiExample(
                "腐霉利 in 韭菜",
                request_only=True,
                value={
                    "food": "韭菜",
                    "analyte": "腐霉利",
                    "value": "0.8",
                    "unit": "mg/kg",
                    "lod": "0.01",
                    "date": "2023-06-01",
                },
            ),
        ],
        parameters=[
            OpenApiParameter(
                "Accept-Language",
                str,
                OpenApiParameter.HEADER,
                required=False,
                description="zh-hans (default) or en for the reason text",
            )
        ],
    )
    def post(self, request):
        data = request.data if hasattr(request.data, "get") else {}
        if not isinstance(data, dict) and not hasattr(data, "getlist"):
            data = {}
        raw = {
            k: data.get(k)
            for k in (
                "food",
                "analyte",
                "value",
                "unit",
                "lod",
                "loq",
                "date",
                "policy",
                "fat",
                "species",
                "tissue",
                "decision_limit",
                "parts",
            )
        }
        for key in ("food", "analyte", "unit", "policy", "species", "tissue"):
            if raw[key] is not None and not isinstance(raw[key], str):
                raw[key] = str(raw[key])
        for key in ("value", "decision_limit", "lod", "loq", "fat"):
            if isinstance(raw[key], (list, dict)):
                raw[key] = str(raw[key])
        vet = {k: raw[k] for k in ("species", "tissue", "decision_limit") if raw[k] not in (None, "")}
        if raw["parts"] not in (None, "", {}):
            if not isinstance(raw["parts"], dict):
                raise ValidationError({"parts": _("Give the component results as name: value pairs.")})
            vet["parts"] = {
                str(k): v if isinstance(v, str | int | float) else str(v) for k, v in raw["parts"].items()
            }
        judgement = judge(
            food=raw["food"] or "",
            analyte=raw["analyte"] or "",
            value=raw["value"],
            unit=raw["unit"] or "",
            lod=raw["lod"],
            loq=raw["loq"],
            on_date=parse_date(raw["date"]),
            policy=raw["policy"] or "mrl",
            fat=raw["fat"],
            **vet,
        )
        return Response(judgement.as_dict())


ROUTES = [
    ("standards/editions", EditionViewSet, "standards-edition"),
    ("standards/limits", LimitViewSet, "standards-limit"),
]
