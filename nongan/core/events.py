"""Domain events: how a lower app makes a higher one react without naming it.

The lower app defines each event once, in its ``events.py``::

    sample_failed = Event("monitoring.sample_failed", payload=("sample",))

and sends it from the service that made the change, inside that service's transaction::

    events.sample_failed.send(actor=actor, sample=sample)

A higher app connects its receivers in ``AppConfig.ready()``::

    sample_failed.connect(contradict_certificates)     # receiver(*, actor, sample) -> answer or None

``send`` returns the receivers' answers in order (what they marked, or None), so the sender can record that
something reacted without knowing who.

Delivery is synchronous and inside the sender's transaction: a receiver's writes commit or roll back with
the sender's change, and a receiver that raises rolls the whole change back (the exception reaches the
sender's caller). Sending outside a transaction is an error (``EventOutsideTransaction``), so a crash can
never keep the change and lose the reaction. Receivers run in the order they were connected (apps connect in
``INSTALLED_APPS`` order, i.e. lowest app first).
"""

from collections.abc import Callable

from django.db import DEFAULT_DB_ALIAS, transaction


class EventOutsideTransaction(RuntimeError):
    """``Event.send`` was called outside ``transaction.atomic()``."""


_EVENTS: dict[str, "Event"] = {}


class Event:
    """A named domain event with a fixed payload (keyword arguments besides ``actor``)."""

    def __init__(self, name: str, *, payload: tuple[str, ...], doc: str = ""):
        if name in _EVENTS:
            raise ValueError(f"event {name!r} is defined twice")
        self.name = name
        self.payload = tuple(payload)
        self.doc = doc
        self._receivers: list[Callable[..., None]] = []
        _EVENTS[name] = self

    def __repr__(self) -> str:
        return f"<Event {self.name}>"

    @property
    def receivers(self) -> tuple[Callable[..., None], ...]:
        return tuple(self._receivers)

    def connect(self, receiver: Callable[..., None]) -> None:
        """Call ``receiver(actor=…, **payload)`` on every send; connecting the same receiver twice is one."""
        if receiver not in self._receivers:
            self._receivers.append(receiver)

    def disconnect(self, receiver: Callable[..., None]) -> None:
        if receiver in self._receivers:
            self._receivers.remove(receiver)

    def send(self, *, actor, using: str = DEFAULT_DB_ALIAS, **payload) -> list:
        """Deliver to every receiver now, inside the caller's transaction; returns the receivers' answers
        (their return values, in order; a receiver with nothing to report answers None)."""
        if set(payload) != set(self.payload):
            raise TypeError(f"{self.name} carries {sorted(self.payload)}, got {sorted(payload)}")
        if not transaction.get_connection(using).in_atomic_block:
            raise EventOutsideTransaction(f"{self.name} must be sent inside transaction.atomic()")
        return [receiver(actor=actor, **payload) for receiver in list(self._receivers)]


def all_events() -> dict[str, Event]:
    """Every event defined so far, by name (the apps' ``events`` modules define them when imported)."""
    return dict(_EVENTS)
