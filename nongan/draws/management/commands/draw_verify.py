"""`nongan draw-verify <round-id | round-code | exported.json>`: re-run a draw and say whether it matches.

Given a file, it works offline with the stdlib algorithm only (no database); given a round id or code, it reads
the round from the database and also checks the hashes recorded in the ledger. Exit status 0 on MATCH, 1 otherwise.
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from nongan.draws import algorithm


class Command(BaseCommand):
    help = "Re-run a double-random draw from its published candidate list and seed; print MATCH or MISMATCH."

    def add_arguments(self, parser):
        parser.add_argument("target", help="round id, round code (SJ2026-0001) or an exported JSON file")

    def handle(self, *args, target, **options):
        path = Path(target)
        if path.suffix.lower() == ".json" or path.is_file():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise CommandError(f"cannot read {target}: {exc}") from None
            ok, problems, selections = algorithm.verify_export(data)
            source = f"file {target}"
        else:
            from nongan.draws.export import verify_round
            from nongan.draws.models import DrawRound

            rnd = DrawRound.objects.filter(code=target).first()
            if rnd is None and target.isdigit():
                rnd = DrawRound.objects.filter(pk=int(target)).first()
            if rnd is None:
                raise CommandError(f"no draw round {target}")
            ok, problems, data = verify_round(rnd)
            selections = data["selections"]
            source = "database and ledger"
        code = (data.get("round") or {}).get("code", "?")
        self.stdout.write(
            f"round {code} ({source}): {len(data.get('candidates') or [])} candidates, "
            f"candidate hash {data.get('candidate_hash')}, seed commitment {data.get('seed_commitment')}"
        )
        if ok:
            self.stdout.write(
                f"MATCH: {len(selections)} objects; the draw is exactly what the candidate list, seed and parameters give."
            )
            return
        self.stdout.write("MISMATCH:")
        for p in problems:
            self.stdout.write(f"  - {p}")
        raise SystemExit(1)
