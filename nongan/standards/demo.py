"""Demo data of the standards: the shipped reference tables (idempotent)."""

from .services import standards_load


def build(*, stdout, seed: int = 320707) -> None:
    result = standards_load()
    created = sum(part.get("created", 0) for part in result.values())
    stdout.write(f"standards: {created} rows created (editions, limits, banned and restricted lists)")
