"""Row rules compiled to DuckDB SQL: one predicate per rule, the same one for quarantine and counts.

A predicate is TRUE when the row breaks the rule and NULL when the rule does not look at the row
(e.g. a code-set rule on an empty optional column). That is exactly how the Great Expectations
suite treats missing values (nulls are skipped, pair rules ignore a row when either side is
missing), which is what lets the two engines agree row for row (tests/contracts check it).

Restricted columns (NHI, date of birth) are never rendered into a reason: "value withheld".
"""

from __future__ import annotations

from pipelines.contracts.model import Contract, Rule

_NUMERIC = {"TINYINT", "SMALLINT", "INTEGER", "INT", "BIGINT", "HUGEINT", "DOUBLE", "FLOAT",
            "REAL", "DECIMAL"}
_SHOWN_CHARS = 60  # reasons stay short even for a runaway cell


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(value) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _count_column(rule: Rule) -> str:
    return quote(f"__n_{rule.local_id}")


def helper_columns(contract: Contract) -> list[str]:
    """Window counts for uniqueness rules and derived values, added beside the batch columns."""
    out = []
    for r in contract.row_rules:
        if r.kind in ("unique", "compound_unique"):
            keys = ", ".join(quote(c) for c in r.columns)
            out.append(f"count(*) OVER (PARTITION BY {keys}) AS {_count_column(r)}")
        elif r.kind == "between" and r.param("derived_sql"):
            out.append(f"({r.param('derived_sql')}) AS {quote(r.param('column'))}")
    return out


def with_helpers(contract: Contract, relation: str) -> str:
    extra = helper_columns(contract)
    return f"SELECT *{''.join(', ' + e for e in extra)} FROM {relation}"


def predicate(rule: Rule) -> str:
    """TRUE = the row breaks the rule; NULL = not evaluated (mirrors GX's handling of nulls)."""
    k = rule.kind
    if k == "not_null":
        return f"{quote(rule.columns[0])} IS NULL"
    if k == "in_set":
        values = ", ".join(literal(v) for v in rule.param("values"))
        return f"{quote(rule.columns[0])} NOT IN ({values})"
    if k == "regex":
        # GX (pandas) searches with re.search; regexp_matches searches too. Patterns are anchored.
        return f"NOT regexp_matches(CAST({quote(rule.columns[0])} AS VARCHAR), {literal(rule.param('pattern'))})"
    if k in ("unique", "compound_unique"):
        present = " AND ".join(f"{quote(c)} IS NOT NULL" for c in rule.columns)
        return f"CASE WHEN {present} THEN {_count_column(rule)} > 1 END"
    if k == "between":
        x = quote(rule.param("column"))
        parts = []
        if rule.param("min_value") is not None:
            op = "<=" if rule.param("strict_min") else "<"
            parts.append(f"{x} {op} {literal(rule.param('min_value'))}")
        if rule.param("max_value") is not None:
            op = ">=" if rule.param("strict_max") else ">"
            parts.append(f"{x} {op} {literal(rule.param('max_value'))}")
        return "(" + " OR ".join(parts) + ")"
    if k == "pair_greater":
        op = "<" if rule.param("or_equal") else "<="
        return f"{quote(rule.param('column_a'))} {op} {quote(rule.param('column_b'))}"
    raise ValueError(f"{rule.id}: {k!r} is not a row rule")


def _shown(contract: Contract, name: str) -> str:
    """SQL rendering one cell for a reason; restricted columns are withheld."""
    try:
        col = contract.column(name)
    except KeyError:  # a derived value (e.g. an age): not an identifier
        return f"CAST({quote(name)} AS VARCHAR)"
    if col.restricted:
        return "'(value withheld)'"
    text = f"left(CAST({quote(name)} AS VARCHAR), {_SHOWN_CHARS})"
    if col.physical_type.split("(")[0] in _NUMERIC or col.physical_type == "DATE":
        return f"coalesce({text}, 'NULL')"
    return f"coalesce('''' || {text} || '''', 'NULL')"


def _bounds_text(rule: Rule) -> str:
    lo, hi = rule.param("min_value"), rule.param("max_value")
    if lo is not None and hi is not None:
        return f"not between {lo} and {hi}"
    if lo is not None:
        return f"not greater than {lo}" if rule.param("strict_min") else f"below {lo}"
    return f"not less than {hi}" if rule.param("strict_max") else f"above {hi}"


def reason(contract: Contract, rule: Rule) -> str:
    """A SQL expression naming the column and the offending value (or 'value withheld')."""
    k, cols = rule.kind, rule.columns
    if k == "not_null":
        return literal(f"{cols[0]} is missing")
    if k == "in_set":
        return f"{literal(cols[0] + ' ')} || {_shown(contract, cols[0])} || {literal(' is not in ' + rule.param('source'))}"
    if k == "regex":
        return (f"{literal(cols[0] + ' ')} || {_shown(contract, cols[0])} || "
                f"{literal(' does not match ' + rule.param('pattern'))}")
    if k in ("unique", "compound_unique"):
        names = cols[0] if len(cols) == 1 else "(" + ", ".join(cols) + ")"
        values = " || ', ' || ".join(_shown(contract, c) for c in cols)
        if len(cols) > 1:
            values = f"'(' || {values} || ')'"
        return (f"{literal(names + ' ')} || {values} || ' appears ' || "
                f"CAST({_count_column(rule)} AS VARCHAR) || ' times'")
    if k == "between":
        if rule.param("derived_reason"):
            return literal(rule.param("derived_reason"))
        name = rule.param("column")
        label = rule.param("derived_label", name)
        return f"{literal(label + ' ')} || {_shown(contract, name)} || {literal(' is ' + _bounds_text(rule))}"
    if k == "pair_greater":
        a, b = rule.param("column_a"), rule.param("column_b")
        dates = contract.column(a).physical_type == "DATE"
        if rule.param("or_equal"):
            verb = " is before " if dates else " is less than "
        else:
            verb = " is not after " if dates else " is not greater than "
        return f"{literal(a + ' ')} || {_shown(contract, a)} || {literal(verb + b + ' ')} || {_shown(contract, b)}"
    raise ValueError(f"{rule.id}: {k!r} is not a row rule")


def row_violations_sql(contract: Contract, relation: str = "batch") -> str:
    """(_row_number, rule_id, severity, reason) for every row × row rule it breaks."""
    selects = [
        f"SELECT _row_number, {literal(r.id)} AS rule_id, {literal(r.severity)} AS severity, "
        f"{reason(contract, r)} AS reason FROM b WHERE {predicate(r)}"
        for r in contract.row_rules
    ]
    if not selects:
        return ("SELECT CAST(NULL AS BIGINT) AS _row_number, '' AS rule_id, '' AS severity, "
                "'' AS reason WHERE false")
    union = "\nUNION ALL\n".join(selects)
    # MATERIALIZED: window counts and derived values are computed once, not once per rule.
    return (f"WITH b AS MATERIALIZED ({with_helpers(contract, relation)})\n"
            f"SELECT _row_number, rule_id, severity, reason FROM (\n{union}\n) "
            "ORDER BY _row_number, rule_id")


def flag_column(index: int) -> str:
    return f"f{index:03d}"


def flags_sql(contract: Contract, relation: str) -> str:
    """One TINYINT per row rule (1 = broken, 0 = fine, NULL = not evaluated): the reduced frame
    Great Expectations validates when the batch is too big to hand it the typed columns."""
    cols = [f"CAST({predicate(r)} AS TINYINT) AS {flag_column(i)}"
            for i, r in enumerate(contract.row_rules)]
    return f"SELECT {', '.join(cols) or '1 AS _none'} FROM ({with_helpers(contract, relation)})"


def gx_frame_sql(contract: Contract, relation: str) -> str:
    """The columns the semantic GX suite reads: rule inputs plus derived values."""
    wanted: list[str] = []
    for r in contract.row_rules:
        for c in r.columns:
            if c not in wanted:
                wanted.append(c)
    parts = [quote(c) for c in wanted]
    parts += [f"({r.param('derived_sql')}) AS {quote(r.param('column'))}"
              for r in contract.row_rules if r.kind == "between" and r.param("derived_sql")]
    return f"SELECT {', '.join(parts) or '1 AS _none'} FROM {relation}"


def rule_summary_sql(contract: Contract, rules: list[Rule], relation: str,
                     districts: tuple[str, ...]) -> str:
    """Per rule: rows broken and the (valid) districts they come from, in one scan."""
    d = quote(contract.district_column)
    known = ", ".join(literal(x) for x in districts)
    parts = []
    for i, r in enumerate(rules):
        p = predicate(r)
        parts.append(f"count_if({p}) AS n{i}")
        parts.append(f"list_sort(list(DISTINCT {d}) FILTER (WHERE ({p}) AND {d} IN ({known}))) AS d{i}")
    return f"SELECT {', '.join(parts)} FROM ({with_helpers(contract, relation)})"
