"""A mistyped certificate number is caught by its check character before a market check is saved."""

import pytest
from django.core.exceptions import ValidationError

from nongan.certificates import services
from nongan.certificates.models import KeyTargetProposal, MarketCheck


def _record(users, ganyu, number):
    return services.market_check_record(
        actor=users.market,
        region=ganyu.town["青口镇"],
        market="青口农贸市场",
        product_name="黄瓜",
        number=number,
    )


def test_a_typo_is_refused_and_nothing_is_saved(users, ganyu, batch, issue):
    [cert] = issue(batch, quantity="100")
    d = cert.number[-2]
    typo = cert.number[:-2] + str((int(d) + 1) % 10) + cert.number[-1]  # one digit mistyped
    with pytest.raises(ValidationError) as exc:
        _record(users, ganyu, typo)
    assert exc.value.message_dict == {
        "number": [f"合格证编号 {typo} 与其校验码不符，可能输错了某一位。请核对后重新输入；本次未保存。"]
    }
    with pytest.raises(ValidationError) as exc:
        _record(users, ganyu, "1234")
    assert exc.value.message_dict == {
        "number": [
            "“1234”不是合格证编号：合格证编号由16位数字加1位校验码组成（共17位）。请核对后重新输入；本次未保存。"
        ]
    }
    assert (MarketCheck.objects.count(), KeyTargetProposal.objects.count()) == (0, 0)
    # typed with spaces and hyphens, as people do: the certificate itself
    spaced = f"{cert.number[:4]}-{cert.number[4:10]} {cert.number[10:]}".lower()
    assert (_record(users, ganyu, spaced).certificate, MarketCheck.objects.count()) == (cert, 1)
