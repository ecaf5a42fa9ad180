"""Validators for Chinese identifiers: 统一社会信用代码 (GB 32100-2015), 居民身份证号 (GB 11643-1999),
mainland mobile numbers and 12-digit administrative division codes."""

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# GB 32100-2015: 18 characters from this alphabet (no I, O, S, V, Z).
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
USCC_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")

ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
ID_CHECK = "10X98765432"
ID_RE = re.compile(r"^\d{17}[\dX]$")

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
DIVISION_RE = re.compile(r"^\d{12}$")


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def normalize_uscc(value: str) -> str:
    return (value or "").strip().upper()


def validate_uscc(value: str) -> None:
    code = normalize_uscc(value)
    if len(code) != 18:
        raise ValidationError(
            _("A unified social credit code has 18 characters; this one has %(n)d."),
            code="uscc_length",
            params={"n": len(code)},
        )
    if not USCC_RE.match(code):
        raise ValidationError(
            _(
                "A unified social credit code uses only digits and capital letters other than I, O, S, V and Z."
            ),
            code="uscc_chars",
        )
    if uscc_check_char(code[:17]) != code[17]:
        raise ValidationError(
            _("The check character of this unified social credit code is wrong (GB 32100)."),
            code="uscc_check",
        )


def id_check_digit(first17: str) -> str:
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def normalize_id_number(value: str) -> str:
    return (value or "").strip().upper()


def validate_id_number(value: str) -> None:
    number = normalize_id_number(value)
    if not ID_RE.match(number):
        raise ValidationError(
            _("A resident ID number has 17 digits followed by a digit or X."), code="id_format"
        )
    try:
        dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError(
            _("The date of birth in this ID number does not exist."), code="id_birth"
        ) from None
    if id_check_digit(number[:17]) != number[17]:
        raise ValidationError(_("The check digit of this ID number is wrong (GB 11643)."), code="id_check")


def validate_mobile(value: str) -> None:
    if not MOBILE_RE.match((value or "").strip()):
        raise ValidationError(
            _("Enter an 11-digit mainland mobile number starting with 1, e.g. 13812345678."), code="mobile"
        )


def validate_division_code(value: str) -> None:
    if not DIVISION_RE.match(value or ""):
        raise ValidationError(_("A division code has 12 digits."), code="division_code")


def mask_id_number(value: str) -> str:
    """110101********1234 style masking for public pages."""
    if not value:
        return ""
    return value[:6] + "*" * (len(value) - 10) + value[-4:] if len(value) > 10 else "*" * len(value)


def mask_phone(value: str) -> str:
    if not value:
        return ""
    return value[:3] + "****" + value[-4:] if len(value) >= 11 else value[:2] + "****"


def mask_name(value: str) -> str:
    """张三丰 → 张**: a household's name on a public page."""
    if not value:
        return ""
    return value[0] + "*" * max(1, len(value) - 1)


# Producer types whose names are (or contain) a natural person's name: households, individual scale growers and
# family farms (赣榆区张三家庭农场). Values of registry.choices.ProducerType.
PERSONAL_PRODUCER_TYPES = frozenset({"household", "scale_grower", "family_farm"})
_REGION_PREFIX = re.compile(r"^(.*[省市区县旗镇乡])")
FAMILY_FARM = "家庭农场"


def public_producer_name(name: str, *, kind: str, person: str = "") -> str:
    """A producer's name as every public page shows it (the one masking rule).

    Registered entities keep their name. For a person's producer (``PERSONAL_PRODUCER_TYPES``) the personal name
    is masked as ``mask_name`` does, and what describes it is kept: the head's name where it appears
    (赣榆区张三家庭农场 → 赣榆区张*家庭农场), the part before a bracket (郭杰（紫菜养殖大户） → 郭*（紫菜养殖大户）),
    or, for a family farm whose head is not named in it, the part between the place and 家庭农场."""
    name = name or ""
    if kind not in PERSONAL_PRODUCER_TYPES or not name:
        return name
    person = (person or "").strip()
    if len(person) >= 2 and person in name:
        return name.replace(person, mask_name(person))
    for bracket in ("（", "("):
        if bracket in name:
            head, rest = name.split(bracket, 1)
            return public_producer_name(head.strip(), kind=kind) + bracket + rest
    if name.endswith(FAMILY_FARM) and len(name) > len(FAMILY_FARM):
        stem = name[: -len(FAMILY_FARM)]
        match = _REGION_PREFIX.match(stem)
        prefix = match.group(1) if match and len(match.group(1)) < len(stem) else ""
        return prefix + mask_name(stem[len(prefix) :]) + FAMILY_FARM
    return mask_name(name)
