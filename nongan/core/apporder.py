"""The order of the apps, written once.

An app may use the apps before it, never one after it (nor one on its own level)::

    core ← registry ← standards, draws ← monitoring ← certificates ← (coming apps) ← dashboard

``core`` is the framework under everything (regions, users, scoping, audit, ledger, spreadsheets, events,
the app plumbing) and everything public in it may be imported. Between the other apps only the lower app's
public interface may be imported: ``selectors`` (reads), ``services`` (writes), ``choices`` and ``events``.
Where a lower app must make a higher one react, it sends an event (``nongan.core.events``) that the higher
app receives. ``tests/test_architecture.py`` enforces all of this; a new app takes its place here.
"""

APP_ORDER: tuple[tuple[str, ...], ...] = (
    ("core",),
    ("registry",),
    ("standards", "draws"),
    ("monitoring",),
    ("certificates",),
    # the coming apps (inputs, inspections and risk, enforcement and credit, capacity and assessment) go here
    ("dashboard",),
)

# What one app may import from a lower one (core excepted: all of core's public names are importable).
PUBLIC_MODULES: tuple[str, ...] = ("selectors", "services", "choices", "events")

_RANK = {label: level for level, labels in enumerate(APP_ORDER) for label in labels}


def app_labels() -> list[str]:
    """Every app of the project, lowest first."""
    return [label for labels in APP_ORDER for label in labels]


def rank(label: str) -> int | None:
    """The app's level in the order (0 = core); ``None`` for an app outside the project (Django's, DRF's …)."""
    return _RANK.get(label)


def may_use(user_label: str, used_label: str) -> bool:
    """May app ``user_label`` use app ``used_label``? Itself, or any app on a lower level."""
    if user_label == used_label:
        return True
    user, used = rank(user_label), rank(used_label)
    if used is None:
        return True
    if user is None:
        return False
    return used < user
