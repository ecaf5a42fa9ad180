"""Chinese first: every catalog is complete, has no fuzzy entries, and its compiled .mo matches the .po."""

import ast
import gettext
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "nongan"
CATALOGS = sorted(PACKAGE.glob("**/locale/zh_Hans/LC_MESSAGES/django.po"))


def parse_po(path: Path) -> list[dict]:
    """A small .po reader: entries with msgid, msgid_plural, msgstr[*] and flags."""
    entries, cur, key = [], None, None
    for raw in path.read_text(encoding="utf-8").splitlines() + [""]:
        line = raw.strip()
        if not line:
            if cur is not None:
                entries.append(cur)
            cur, key = None, None
            continue
        if cur is None:
            cur = {"flags": set(), "msgstr": {}}
        if line.startswith("#,"):
            cur["flags"].update(f.strip() for f in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith("msgctxt "):
            key = "msgctxt"
            cur[key] = ast.literal_eval(line[8:])
        elif line.startswith("msgid_plural "):
            key = "msgid_plural"
            cur[key] = ast.literal_eval(line[13:])
        elif line.startswith("msgid "):
            key = "msgid"
            cur[key] = ast.literal_eval(line[6:])
        elif line.startswith("msgstr["):
            idx = int(line[7 : line.index("]")])
            key = ("msgstr", idx)
            cur["msgstr"][idx] = ast.literal_eval(line[line.index("]") + 2 :])
        elif line.startswith("msgstr "):
            key = ("msgstr", 0)
            cur["msgstr"][0] = ast.literal_eval(line[7:])
        elif line.startswith('"'):
            value = ast.literal_eval(line)
            if isinstance(key, tuple):
                cur["msgstr"][key[1]] += value
            else:
                cur[key] += value
    return [e for e in entries if "msgid" in e]


def test_there_is_a_catalog_for_the_shell_and_each_app():
    names = {p.relative_to(PACKAGE).parts[0] for p in CATALOGS}
    assert {"locale", "standards", "draws", "monitoring", "certificates"} <= names


@pytest.mark.parametrize("po", CATALOGS, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_catalog_is_complete_and_compiled(po):
    entries = [e for e in parse_po(po) if e["msgid"]]
    assert entries
    missing = [e["msgid"] for e in entries if not all(e["msgstr"].values()) or not e["msgstr"]]
    assert missing == []
    assert [e["msgid"] for e in entries if "fuzzy" in e["flags"]] == []
    with open(po.with_suffix(".mo"), "rb") as f:
        mo = gettext.GNUTranslations(f)

    def compiled(e):
        return mo.pgettext(e["msgctxt"], e["msgid"]) if e.get("msgctxt") else mo.gettext(e["msgid"])

    stale = [e["msgid"] for e in entries if "msgid_plural" not in e and compiled(e) != e["msgstr"][0]]
    assert stale == [], "recompile the .mo (msgfmt -o django.mo django.po)"


def test_a_shared_msgid_reads_the_same_in_every_catalog():
    """Django merges the app catalogs and the first app wins: one English text, one Chinese text."""
    seen: dict[tuple, dict[str, str]] = {}
    for po in CATALOGS:
        app = po.relative_to(PACKAGE).parts[0]
        for e in parse_po(po):
            if e["msgid"] and "msgid_plural" not in e:
                seen.setdefault((e.get("msgctxt"), e["msgid"]), {})[app] = e["msgstr"][0]
    clashes = {k[1]: v for k, v in seen.items() if len(set(v.values())) > 1}
    assert clashes == {}
