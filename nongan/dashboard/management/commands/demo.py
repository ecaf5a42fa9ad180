"""`nongan demo`: load the Ganyu demo district (idempotent) and print the demo logins.

Each app loads its own part (``AppConfig.demo``), lowest app first, each in one transaction.
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from nongan.core import demo as core_demo
from nongan.core.apps import project_apps
from nongan.core.models import User
from nongan.registry import selectors as registry


class Command(BaseCommand):
    help = "Load the Ganyu demo district: regions, products, 3,000+ producers, staff, one login per role."

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help="Do nothing if the demo district is already loaded."
        )
        parser.add_argument(
            "--producers", type=int, default=3200, help="How many producers to create (default 3200)."
        )
        parser.add_argument("--seed", type=int, default=320707)

    def handle(self, *args, once=False, producers=3200, seed=320707, **options):
        if once and User.objects.filter(username="admin").exists() and registry.demo_loaded():
            self.stdout.write("演示数据已加载 (demo district already loaded).")
            core_demo.logins_print(self.stdout)
            return
        for config in project_apps():
            with transaction.atomic():
                config.demo(stdout=self.stdout, seed=seed, producers=producers)
        core_demo.logins_print(self.stdout)
