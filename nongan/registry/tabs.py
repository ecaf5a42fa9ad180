"""The tabs of a producer's page (一户一档) that higher apps contribute.

The registry keeps the producer's own tabs (overview, bases, certifications, people, history) and names no app
above it. An app that holds records about a producer — its samples and results, certificates, follow-ups —
adds a tab in its ``AppConfig.ready()``::

    from nongan.registry.selectors import ProducerTab, register_producer_tab

    register_producer_tab(ProducerTab(key="samples", label=_("Samples and results"), position=50,
                                      template="monitoring/_producer_samples.html", context=samples_tab))

``context(user, producer)`` returns the tab template's context (as ``tab_data``) and must read through the
app's scoped selectors: the tab shows only what ``user`` may see. ``visible(user)`` hides a tab from a role
(follow-ups are the bureau's, not the producer's); ``count(user, producer)``, when given, is shown on the tab.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise

OWN_TABS = ("overview", "bases", "certifications", "contacts", "history")


def _everyone(user) -> bool:
    return True


@dataclass(frozen=True)
class ProducerTab:
    key: str  # ?tab=<key>
    label: str | Promise
    position: int  # order among the contributed tabs (they follow the registry's own, history last)
    template: str  # rendered inside the producer page with ``tab_data`` = context(user, producer)
    context: Callable[[Any, Any], dict]
    visible: Callable[[Any], bool] = _everyone
    count: Callable[[Any, Any], int] | None = None


_tabs: dict[str, ProducerTab] = {}


def register_producer_tab(tab: ProducerTab) -> None:
    """Add (or replace, by key) a contributed tab. Called from an app's ``ready()``."""
    if tab.key in OWN_TABS:
        raise ValueError(f"the producer page's own tab {tab.key!r} cannot be replaced")
    _tabs[tab.key] = tab


def producer_tabs(user) -> list[ProducerTab]:
    """The contributed tabs ``user`` may open, in order."""
    return sorted((t for t in _tabs.values() if t.visible(user)), key=lambda t: (t.position, t.key))
