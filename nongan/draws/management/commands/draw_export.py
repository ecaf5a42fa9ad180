"""`nongan draw-export <round-id | code> [-o file.json]`: write a round in the published format (nongan-draw/1)."""

import json

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Export a double-random draw round as JSON (the file anyone can re-run with draw_verify.py)."

    def add_arguments(self, parser):
        parser.add_argument("target", help="round id or code")
        parser.add_argument("-o", "--output", help="file to write (default: standard output)")
        parser.add_argument("--public", action="store_true", help="only what the public page shows")

    def handle(self, *args, target, output=None, public=False, **options):
        from nongan.draws.choices import RoundStatus
        from nongan.draws.export import round_export
        from nongan.draws.models import DrawRound

        rnd = DrawRound.objects.filter(code=target).first()
        if rnd is None and target.isdigit():
            rnd = DrawRound.objects.filter(pk=int(target)).first()
        if rnd is None:
            raise CommandError(f"no draw round {target}")
        data = round_export(rnd, reveal=not public or rnd.status == RoundStatus.PUBLISHED)
        text = json.dumps(data, ensure_ascii=False, indent=2)
        if output:
            with open(output, "w", encoding="utf-8") as f:
                f.write(text + "\n")
            self.stdout.write(f"wrote {output}")
        else:
            self.stdout.write(text)
