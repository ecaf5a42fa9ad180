"""The account ↔ producer link, kept by the registry and registered with core in ``RegistryConfig.ready()``.

``user.producer_id`` and ``user.producer`` read the account's ``ProducerAccount`` once per user object (one
indexed query, the producer joined; an account without a link caches that too); ``user_create(producer=…)``
writes it through ``set_producer``.
"""

from nongan.core import audit
from nongan.core.models import AccountLink

from .models import ProducerAccount


class ProducerAccountLink(AccountLink):
    CACHE = "_producer_account"

    def _account(self, user) -> ProducerAccount | None:
        if user.pk is None:
            return None
        cache = user.__dict__
        if self.CACHE not in cache:
            cache[self.CACHE] = (
                ProducerAccount.objects.select_related("producer").filter(user_id=user.pk).first()
            )
        return cache[self.CACHE]

    def producer_id(self, user) -> int | None:
        account = self._account(user)
        return account.producer_id if account is not None else None

    def producer(self, user):
        account = self._account(user)
        return account.producer if account is not None else None

    def set_producer(self, *, actor, user, producer) -> None:
        account = ProducerAccount.objects.create(user=user, producer=producer)
        audit.record_create(actor, account)
        user.__dict__[self.CACHE] = account
