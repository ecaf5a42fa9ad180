"""`nongan judge`: judge one result, or a whole CSV of results, against the standards in force."""

import csv
import io
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from nongan.core.excel import safe_cell, safe_row
from nongan.standards.choices import Flag, Policy, Rule, Verdict
from nongan.standards.engine import fmt, judge, parse_date

OUT_COLUMNS = [
    "verdict",
    "verdict_label",
    "limit_mg_kg",
    "value_mg_kg",
    "edition",
    "rule",
    "rule_detail",
    "policy",
    "flags",
    "source",
    "reason",
    "error",
]


def _errors_text(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{k}: {m}" for k, v in exc.message_dict.items() for m in v)
    return "; ".join(exc.messages)


def _vet_args(values: dict) -> dict:
    """species, tissue and decision limit, when given (they make it a veterinary judgement)."""
    keys = ("species", "tissue", "decision_limit")
    return {k: values[k] for k in keys if values.get(k)}


class Command(BaseCommand):
    help = (
        "Judge a residue result: --food 韭菜 --analyte 腐霉利 --value 0.8 --unit mg/kg [--lod 0.01] "
        "[--date 2023-06-01]; or a file: --csv results.csv [--out out.csv] (columns food, analyte, value, "
        "unit, optional lod, loq, date, policy, fat, species, tissue, decision_limit). A veterinary drug: "
        "--species 猪 --tissue 肌肉 [--decision-limit 0.1] (food optional)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--food")
        parser.add_argument("--analyte")
        parser.add_argument("--value")
        parser.add_argument("--unit", default=None)
        parser.add_argument("--lod")
        parser.add_argument("--loq")
        parser.add_argument("--date", help="Sampling date, YYYY-MM-DD (default today).")
        parser.add_argument(
            "--policy",
            default=Policy.MRL.value,
            help="Policy for banned substances: mrl (judged against the limit, detection flagged; default) or strict.",
        )
        parser.add_argument("--fat", help="Fat content of the sample in %%, where a limit depends on it.")
        parser.add_argument(
            "--species", help="Animal species of a veterinary result: 猪, 牛, 羊, 家禽, 鸡, 鸭, 兔, 鱼, 虾."
        )
        parser.add_argument("--tissue", help="Tissue: 肌肉, 脂肪, 肝, 肾, 皮+脂, 奶, 蛋, 皮+肉.")
        parser.add_argument(
            "--decision-limit",
            dest="decision_limit",
            help="The method's decision limit (CCα), same unit as the value, for prohibited substances.",
        )
        parser.add_argument("--csv", type=Path, help="Judge every row of this CSV file.")
        parser.add_argument(
            "--out", type=Path, help="Where to write the judged CSV (default <name>.judged.csv)."
        )

    def handle(self, *args, **o):
        if o["csv"]:
            return self.judge_file(o["csv"], o["out"])
        vet = bool(o.get("species") or o.get("tissue"))
        required = ("analyte", "value", "unit") if vet else ("food", "analyte", "value", "unit")
        missing = [f"--{k}" for k in required if not o.get(k)]
        if missing:
            raise CommandError(_("Give %(options)s, or --csv FILE.") % {"options": " ".join(missing)})
        try:
            j = judge(
                food=o["food"],
                analyte=o["analyte"],
                value=o["value"],
                unit=o["unit"],
                lod=o["lod"],
                loq=o["loq"],
                on_date=parse_date(o["date"]),
                policy=o["policy"],
                fat=o["fat"],
                **_vet_args(o),
            )
        except ValidationError as exc:
            raise CommandError(_errors_text(exc)) from None
        style = {Verdict.PASS: self.style.SUCCESS, Verdict.FAIL: self.style.ERROR}.get(
            j.verdict, self.style.WARNING
        )
        lines = [
            style(_("Verdict: %(v)s") % {"v": Verdict(j.verdict).label}),
            _("Limit: %(v)s") % {"v": f"{fmt(j.limit_mg_kg)} mg/kg" if j.limit_mg_kg is not None else "—"},
            _("Value: %(v)s") % {"v": f"{fmt(j.value_mg_kg)} mg/kg" if j.value_mg_kg is not None else "—"},
            _("Standard: %(v)s") % {"v": j.edition or "—"},
            _("Rule: %(label)s (%(rule)s)") % {"label": Rule(j.rule).label, "rule": j.rule},
            _("Entry used: %(v)s") % {"v": j.rule_detail},
            _("Source row: %(v)s") % {"v": j.source or "—"},
            _("Policy: %(label)s (%(policy)s)") % {"label": Policy(j.policy).label, "policy": j.policy},
            _("Flags: %(v)s") % {"v": "; ".join(str(Flag(f).label) for f in j.flags) or "—"},
            _("Reason: %(v)s") % {"v": j.reason},
        ]
        self.stdout.write("\n".join(str(line) for line in lines))

    def judge_file(self, path: Path, out: Path | None):
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise CommandError(str(exc)) from None
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise CommandError(_("The CSV file must be in UTF-8 or GBK encoding."))
        reader = csv.DictReader(io.StringIO(text))
        fields = [f.strip() for f in (reader.fieldnames or [])]
        missing = [c for c in ("analyte", "value", "unit") if c not in fields]
        if "food" not in fields and "species" not in fields:
            missing.insert(0, "food")
        if missing:
            raise CommandError(
                _("Required columns are missing: %(columns)s.") % {"columns": ", ".join(missing)}
            )
        out = out or path.with_name(path.stem + ".judged.csv")
        counts = {Verdict.PASS.value: 0, Verdict.FAIL.value: 0, Verdict.NOT_JUDGEABLE.value: 0, "error": 0}
        with open(out, "w", newline="", encoding="utf-8-sig") as f:
            fieldnames = fields + [c for c in OUT_COLUMNS if c not in fields]
            writer = csv.DictWriter(f, fieldnames=fieldnames)
            csv.writer(f).writerow(safe_row(fieldnames))  # every cell neutralised, the header too
            for row in reader:
                row = {(k or "").strip(): (v or "").strip() for k, v in row.items() if k}
                result = dict.fromkeys(OUT_COLUMNS, "")
                try:
                    j = judge(
                        food=row.get("food", ""),
                        analyte=row.get("analyte", ""),
                        value=row.get("value", ""),
                        unit=row.get("unit", ""),
                        lod=row.get("lod") or None,
                        loq=row.get("loq") or None,
                        on_date=parse_date(row.get("date") or None),
                        policy=row.get("policy") or Policy.MRL.value,
                        fat=row.get("fat") or None,
                        **_vet_args(row),
                    )
                except ValidationError as exc:
                    result["error"] = _errors_text(exc)
                    counts["error"] += 1
                else:
                    counts[j.verdict] += 1
                    result.update(
                        {
                            "verdict": j.verdict,
                            "verdict_label": str(Verdict(j.verdict).label),
                            "limit_mg_kg": "" if j.limit_mg_kg is None else fmt(j.limit_mg_kg),
                            "value_mg_kg": fmt(j.value_mg_kg),
                            "edition": j.edition,
                            "rule": j.rule,
                            "rule_detail": j.rule_detail,
                            "policy": j.policy,
                            "flags": ";".join(j.flags),
                            "source": j.source,
                            "reason": j.reason,
                        }
                    )
                writer.writerow({k: safe_cell(v) for k, v in {**row, **result}.items()})
        self.stdout.write(
            _("Pass %(pass)d, fail %(fail)d, not judgeable %(not_judgeable)d, errors %(error)d.") % counts
        )
        self.stdout.write(_("Written to %(path)s") % {"path": out})
