import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from nongan.core.validators import (
    USCC_ALPHABET,
    id_check_digit,
    mask_id_number,
    mask_name,
    mask_phone,
    uscc_check_char,
    validate_id_number,
    validate_mobile,
    validate_uscc,
)

# Published examples: a real enterprise code and the GB 11643 worked example.
GOOD_USCC = "91350100M000100Y43"
GOOD_ID = "11010519491231002X"


def test_known_good_codes_pass():
    validate_uscc(GOOD_USCC)
    validate_uscc(GOOD_USCC.lower())  # normalised to capitals
    validate_id_number(GOOD_ID)
    validate_mobile("13812345678")


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("91350100M000100Y4", "uscc_length"),
        ("91350100M000100Y4I", "uscc_chars"),
        ("91350100M000100Y44", "uscc_check"),
    ],
)
def test_bad_credit_codes_are_refused_with_their_reason(value, code):
    with pytest.raises(ValidationError) as exc:
        validate_uscc(value)
    assert exc.value.code == code


def test_messages_are_chinese_by_default():
    with translation.override("zh-hans"), pytest.raises(ValidationError) as exc:
        validate_uscc("91350100M000100Y44")
    assert exc.value.messages == ["统一社会信用代码的校验码不正确（GB 32100）。"]


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("11010519491231002", "id_format"),
        ("11010519491331002X", "id_birth"),
        ("110105194912310021", "id_check"),
    ],
)
def test_bad_id_numbers(value, code):
    with pytest.raises(ValidationError) as exc:
        validate_id_number(value)
    assert exc.value.code == code


@pytest.mark.parametrize("value", ["12345678901", "1381234567", "138123456789", "23812345678", ""])
def test_bad_mobiles(value):
    with pytest.raises(ValidationError):
        validate_mobile(value)


@given(st.text(alphabet=USCC_ALPHABET, min_size=17, max_size=17).filter(lambda s: s[0].isdigit()))
def test_any_code_with_its_check_char_passes_and_any_other_check_char_fails(first17):
    first17 = "9" + first17[1] + "320707" + first17[8:]
    if first17[1] not in "0123456789ABCDEFGHJKLMNPQRTUWXY":
        return
    good = first17 + uscc_check_char(first17)
    validate_uscc(good)
    for c in "0A9X":
        if c != good[-1]:
            with pytest.raises(ValidationError):
                validate_uscc(first17 + c)


@given(st.text(alphabet="0123456789", min_size=3, max_size=3), st.dates())
def test_generated_id_numbers_round_trip(seq, birth):
    if birth.year < 1900:
        return
    first17 = "320721" + birth.strftime("%Y%m%d") + seq
    validate_id_number(first17 + id_check_digit(first17))


def test_masking_for_public_pages():
    assert mask_id_number(GOOD_ID) == "110105********002X"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_name("张三丰") == "张**"
    assert mask_name("李") == "李*"
