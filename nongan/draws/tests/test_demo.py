"""The demo builder: one published round (and one waiting), idempotent, silent without data."""

import io

from django.utils import timezone

from nongan.core.models import User
from nongan.draws import demo
from nongan.draws.export import verify_round
from nongan.draws.models import DrawRound, InspectorConflict


def test_demo_builds_once(users, spread):
    out = io.StringIO()
    demo.build(stdout=out)
    year = timezone.localdate().year
    published = DrawRound.objects.get(status="published")
    assert published.year == year and published.strata == "township" and str(published.ratio) == "0.0500"
    # 13 scale producers in three townships, 5% rounded up per township → 1 each
    assert published.candidate_count == 13 and published.selections.count() == 3
    assert verify_round(published)[0]
    waiting = DrawRound.objects.get(status="seed_committed")
    assert waiting.purpose == "inspection" and waiting.seed_escrow
    # 13 scale producers: the declaration on the 4th is made, the one on the 18th is skipped
    assert list(InspectorConflict.objects.values_list("inspector__username", "kind")) == [
        ("enforcement", "relative")
    ]
    assert sorted(published.pool.values_list("user__username", flat=True)) == [
        "enforcement",
        "enforcement2",
        "sampler",
        "sampler2",
        "sampler3",
    ]
    demo.build(stdout=out)
    assert DrawRound.objects.count() == 2
    assert User.objects.filter(username__in=["sampler2", "sampler3", "enforcement2"]).count() == 3


def test_demo_does_nothing_without_producers(db):
    out = io.StringIO()
    demo.build(stdout=out)
    assert DrawRound.objects.count() == 0
    assert "nothing to do" in out.getvalue()
