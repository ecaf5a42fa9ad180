"""一户一档: monitoring adds the producer's samples with their results and, for staff, its follow-ups to the
producer's page (through the registry's tab registry), each read in the viewer's scope."""

from django.urls import reverse

from nongan.monitoring import services
from nongan.registry.selectors import producer_tabs

FAILING = {"analyte": "毒死蜱", "value": "0.5", "unit": "mg/kg"}


def _tab(client, producer, tab):
    return client.get(reverse("registry:producer_detail", kwargs={"pk": producer.pk}), {"tab": tab})


def test_samples_and_follow_ups_tabs_per_role(client, users, received, judge):
    services.results_enter(actor=users.analyst, sample=received, rows=[FAILING], submit=True)
    services.sample_transition(actor=users.analyst2, sample=received, action="verify")
    own = users.own_producer

    client.force_login(users.qk)
    page = _tab(client, own, "samples").content.decode()
    assert received.code in page and "毒死蜱 0.5 mg/kg" in page and 'data-testid="tab-follow-ups"' in page
    assert received.code in _tab(client, own, "follow-ups").content.decode()

    client.force_login(users.producer)  # its own page: samples once published, never the follow-ups
    page = _tab(client, own, "samples").content.decode()
    assert 'data-testid="producer-samples"' in page
    assert received.code not in page and "毒死蜱" not in page  # (nor in the key target's reason)
    page = _tab(client, own, "follow-ups").content.decode()
    assert 'data-testid="tab-follow-ups"' not in page and 'data-testid="producer-follow-ups"' not in page
    services.sample_transition(actor=users.admin, sample=received, action="publish")
    page = _tab(client, own, "samples").content.decode()
    assert received.code in page and "不合格" in page

    client.force_login(users.zw)  # another township: not the page, not the tabs
    assert _tab(client, own, "samples").status_code == 404


def test_the_tabs_come_from_the_apps_above_the_registry(users):
    staff = [t.key for t in producer_tabs(users.admin)]
    assert staff == ["samples", "certificates", "follow-ups"]
    assert [t.key for t in producer_tabs(users.producer)] == ["samples", "certificates"]
