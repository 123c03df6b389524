"""A one-page data-quality report (Markdown) for a period, for analysts.

Reads meta.period_status, meta.dq_rule_results, meta.provenance and meta.quarantine. Per source:
the verdict, rows read / loaded / quarantined, each failed rule with severity, counts, districts
and a plain "what to do" line from the contract's `remediation`. No restricted value is shown:
quarantine records are never read, and an example reason is shown only when it says
"value withheld" or names no restricted column.
"""

from __future__ import annotations

from collections import defaultdict

import duckdb

from pipelines.contracts.loader import contract_ids, load_contract
from pipelines.contracts.model import Contract, ContractError
from pipelines.periods import Period, parse_label, period_of

KIND_WORD = {"quarter": "quarterly", "half_year": "half-yearly", "year": "yearly"}
STATUS_WORD = {"blocked": "BLOCKED", "warn": "warnings", "pass": "passed"}
STATUS_LINE = {
    "blocked": "Measures whose window includes this period are withheld until it is fixed.",
    "warn": "Measures are published; the warnings below should be looked at.",
    "pass": "",
}
GENERIC_REMEDIATION = {
    ".schema.": "Cells could not be read as the contract's type: ask the supplier to re-send the "
                "file with valid values in that column.",
    ".missing": "A column the measures read is missing from the file: ask the supplier to send "
                "it again with the column (a renamed column shows under 'Columns that differ').",
    ".period.": "Rows whose period is missing or outside the file's period: check the period "
                "column, or whether the file mixes periods.",
}


def periods_in_scope(label: str) -> dict[str, list[str]]:
    """Period labels of each kind that overlap `label` (2024Q1 → 2024Q1, 2024H1, 2024)."""
    target = parse_label(label)
    out: dict[str, list[str]] = {}
    for kind in ("quarter", "half_year", "year"):
        p: Period = period_of(target.start, kind)
        labels = []
        while p.start <= target.end:
            labels.append(p.label)
            p = p.next()
        out[kind] = labels
    return out


def render_dq_report(con: duckdb.DuckDBPyConnection, period_label: str) -> str:
    scope = periods_in_scope(period_label)
    contracts = _contracts()
    all_periods = sorted({p for labels in scope.values() for p in labels})
    statuses = _rows(con, "SELECT source_id, period, status, blocking_rules, checked_at "
                          "FROM meta.period_status WHERE list_contains(?, period)", [all_periods])
    rules = _rows(con, "SELECT source_id, period, rule_id, severity, description, passed, "
                       "unexpected_count, rows_evaluated, districts_affected FROM meta.dq_rule_results "
                       "WHERE list_contains(?, period) ORDER BY severity, rule_id", [all_periods])
    counts = {(s, p): (r, lo, q) for s, p, r, lo, q in _rows(con, (
        "SELECT source_id, period, sum(rows_read), sum(rows_loaded), sum(rows_quarantined) "
        "FROM meta.provenance WHERE status = 'loaded' AND list_contains(?, period) GROUP BY ALL"),
        [all_periods])}
    quarantined = defaultdict(dict)
    for s, p, rule_id, n, example in _rows(con, (
            "SELECT source_id, period, rule_id, count(*), min(reason) FROM meta.quarantine "
            "WHERE list_contains(?, period) GROUP BY ALL"), [all_periods]):
        quarantined[(s, p)][rule_id] = (n, example)
    names = dict(_rows(con, "SELECT code3, dhb_name FROM ref.districts")) if _exists(con, "ref", "districts") else {}

    results = defaultdict(list)
    for row in rules:
        results[(row[0], row[1])].append(row)
    checked = [s for s in statuses if s[1] in scope[_kind(contracts, s[0])]]
    verdicts = [s[2] for s in checked]
    last = max((s[4] for s in checked), default=None)

    lines = [f"# Data quality — {period_label}", ""]
    covered = ", ".join(f"{'/'.join(v)} ({KIND_WORD[k]} sources)" for k, v in scope.items())
    lines.append(f"Periods covered: {covered}." + (f" Last checked {last:%Y-%m-%d %H:%M}." if last else ""))
    lines.append("")
    missing = [s for s in sorted(contracts) if not any(c[0] == s for c in checked)]
    lines.append(f"**{verdicts.count('blocked')} blocked, {verdicts.count('warn')} with warnings, "
                 f"{verdicts.count('pass')} passed, {len(missing)} not checked.**")
    lines += ["", "| Source | Period | Status | Rows read | Loaded | Quarantined | Failed rules |",
              "|---|---|---|---:|---:|---:|---|"]
    for source_id, period, status, _, _ in sorted(checked, key=_order):
        read, loaded, quar = counts.get((source_id, period), (None, None, None))
        failed = [r for r in results[(source_id, period)] if not r[5]]
        errors = sum(r[3] == "error" for r in failed)
        summary = ", ".join(x for x in (_plural(errors, "error") if errors else "",
                                        _plural(len(failed) - errors, "warning")
                                        if len(failed) - errors else "") if x)
        lines.append(f"| {source_id} | {period} | {STATUS_WORD.get(status, status)} | {_n(read)} | "
                     f"{_n(loaded)} | {_n(quar)} | {summary or '—'} |")
    if missing:
        lines += ["", "Not checked for this period (no file loaded): " + ", ".join(missing) + "."]
    lines += _file_sections(con, scope)

    for source_id, period, status, _, _ in sorted(checked, key=_order):
        failed = [r for r in results[(source_id, period)] if not r[5]]
        within = {k: v for k, v in quarantined[(source_id, period)].items()
                  if k not in {r[2] for r in failed}}
        if status == "pass" and not within:
            continue
        contract = contracts.get(source_id)
        read, loaded, quar = counts.get((source_id, period), (None, None, None))
        lines += ["", f"## {source_id} {period} — {STATUS_WORD.get(status, status)}"]
        if STATUS_LINE.get(status):
            lines.append(STATUS_LINE[status])
        lines.append(f"Rows: {_n(read)} read · {_n(loaded)} loaded · {_n(quar)} quarantined.")
        lines.append("")
        for _, _, rule_id, severity, description, _, unexpected, evaluated, districts in failed:
            n_q, example = quarantined[(source_id, period)].get(rule_id, (None, None))
            lines.append(f"- **{severity}** `{rule_id}` — {description}")
            kind = _rule_kind(contract, rule_id)
            named = ", ".join(_district(d, names) for d in districts or [])
            if kind == "values_present":
                detail = [f"{_plural(unexpected, 'district')} missing: {named}"]
            elif kind == "volume":
                detail = [f"{_n(evaluated)} rows, {_n(unexpected)} away from the previous period"]
            else:
                detail = [f"{_n(unexpected)} of {_n(evaluated)} rows" if unexpected is not None else ""]
                if named:
                    detail.append("districts: " + named)
            if n_q:
                detail.append(f"{_plural(n_q, 'row')} quarantined")
            lines.append("  " + " · ".join(x for x in detail if x))
            shown = _safe_example(example, contract)
            if shown:
                lines.append(f"  Example: {shown}")
            lines.append(f"  What to do: {_remediation(contract, rule_id)}")
        if within:
            lines.append("- Quarantined, within the rule's tolerance (period not blocked by it):")
            for rule_id, (n, _) in sorted(within.items()):
                lines.append(f"  - `{rule_id}`: {_plural(n, 'row')}. What to do: {_remediation(contract, rule_id)}")
    return "\n".join(lines) + "\n"


def _file_sections(con: duckdb.DuckDBPyConnection, scope: dict[str, list[str]]) -> list[str]:
    """Rejected files (any period: a rejected file may have none) and header findings of the
    files loaded for the period."""
    from pipelines.sources.rejections import rejected_files

    lines = []
    if _exists(con, "meta", "file_rejections"):
        rejections = rejected_files(con)
        if rejections:
            lines += ["", f"## Rejected files ({len(rejections)})",
                      "Not loaded; the reason says what to do. Land a corrected file to load it."]
            lines += [f"- {r.line}" for r in rejections]
    if _exists(con, "meta", "file_findings"):
        periods = sorted({p for labels in scope.values() for p in labels})
        findings = _rows(con, (
            "SELECT DISTINCT f.source_id, f.file_name, f.message FROM meta.file_findings f "
            "JOIN meta.provenance p ON p.source_id = f.source_id AND p.file_hash = f.file_hash "
            "WHERE p.status = 'loaded' AND list_contains(?, p.period) ORDER BY ALL"), [periods])
        if findings:
            lines += ["", "## Columns that differ from the contract"]
            lines += [f"- {s} `{name}`: {message}" for s, name, message in findings]
    return lines


def _contracts() -> dict[str, Contract]:
    out = {}
    for source_id in contract_ids():
        try:
            out[source_id] = load_contract(source_id)
        except ContractError:  # a broken contract must not hide the rest of the report
            continue
    return out


def _kind(contracts: dict[str, Contract], source_id: str) -> str:
    c = contracts.get(source_id)
    return c.period_kind if c else "quarter"


def _order(status_row) -> tuple:
    rank = {"blocked": 0, "warn": 1, "pass": 2}
    return rank.get(status_row[2], 3), status_row[0], status_row[1]


def _rule_kind(contract: Contract | None, rule_id: str) -> str | None:
    try:
        return contract.rule(rule_id).kind if contract else None
    except KeyError:
        return None


def _remediation(contract: Contract | None, rule_id: str) -> str:
    if contract:
        try:
            return contract.rule(rule_id).remediation
        except KeyError:
            pass
    for marker, text in GENERIC_REMEDIATION.items():
        if marker in rule_id:
            return text
    return "See the source's data contract for this rule."


def _safe_example(reason: str | None, contract: Contract | None) -> str | None:
    if not reason:
        return None
    if "value withheld" not in reason and contract and any(
            c in reason for c in contract.restricted_columns):
        return None
    return reason if len(reason) <= 160 else reason[:157] + "…"


def _district(code: str, names: dict[str, str]) -> str:
    return f"{names[code]} ({code})" if code in names else code


def _n(value) -> str:
    return "—" if value is None else f"{int(value):,}"


def _plural(n: int, word: str) -> str:
    return f"{_n(n)} {word}{'' if n == 1 else 's'}"


def _rows(con, sql: str, params=None) -> list[tuple]:
    return con.execute(sql, params).fetchall() if params is not None else con.execute(sql).fetchall()


def _exists(con, schema: str, table: str) -> bool:
    return bool(_rows(con, "SELECT 1 FROM information_schema.tables WHERE table_schema = ? "
                           "AND table_name = ?", [schema, table]))

