"""Every list marked for phone cards (``table.table-cards``, docs/architecture.md "Phone-first lists") labels each
cell of its rows and names one deciding cell: a cell without data-label would read as a bare value on a phone."""

import re
from pathlib import Path

import nongan

TEMPLATES = sorted(Path(nongan.__file__).parent.glob("**/templates/**/*.html"))
CARD_TABLES = [p for p in TEMPLATES if "table-cards" in p.read_text()]


def _rows(text: str) -> list[str]:
    """The template of the repeated row of each card table: from <tbody> to {% empty %} or </tbody>."""
    out = []
    for table in re.findall(r'<table class="[^"]*table-cards.*?</table>', text, flags=re.S):
        body = table[table.index("<tbody>") :]
        out.append(body.split("{% empty %}")[0].split("</tbody>")[0])
    return out


def test_the_main_lists_are_card_tables():
    names = {p.name for p in CARD_TABLES}
    assert {
        "public.html",
        "sample_list.html",
        "task_list.html",
        "plan_list.html",
        "market_checks.html",
    } <= names
    assert {"follow_up_list.html", "rapid_list.html", "index.html", "_producer_samples.html"} <= names
    paths = {f"{p.parent.name}/{p.name}" for p in CARD_TABLES}
    assert {
        "registry/_producer_table.html",
        "draws/index.html",
        "certificates/batch_list.html",
        "standards/limit_list.html",
        "standards/analyte_list.html",
        "standards/banned_list.html",
        "standards/restricted_list.html",
    } <= paths


def test_every_cell_of_a_card_table_is_labelled_and_one_decides():
    unlabelled, deciding = [], {}
    for path in CARD_TABLES:
        for row in _rows(path.read_text()):
            cells = re.findall(r"<td(?:\s[^>]*)?>", row)
            unlabelled += [f"{path.name}: {c}" for c in cells if "data-label=" not in c]
            deciding[path.name] = sum("cell-first" in c for c in cells)
    assert unlabelled == []
    assert {name: n for name, n in deciding.items() if n != 1} == {}
