"""Outputs are written atomically, CSV cells cannot start a formula, and a run lists only what
it wrote (pipelines/output_files.py)."""

from __future__ import annotations

import os
import time

import polars as pl
import pytest

from pipelines.output_files import (
    atomic_outputs,
    neutralise_formulas,
    outputs_since,
    write_csv_safe,
    write_text_atomic,
)


def test_a_failed_write_keeps_the_old_files_and_leaves_no_partial_one(tmp_path):
    csv, parquet = tmp_path / "slm_measures.csv", tmp_path / "slm_measures.parquet"
    csv.write_text("old\n")
    parquet.write_text("old parquet")
    with pytest.raises(RuntimeError, match="disk full"), atomic_outputs() as staged:
        staged(csv).write_text("new, complete\n")
        with open(staged(parquet), "w") as half:
            half.write("PAR1 half a file")
            raise RuntimeError("disk full")
    assert csv.read_text() == "old\n" and parquet.read_text() == "old parquet"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["slm_measures.csv", "slm_measures.parquet"]


def test_a_complete_set_replaces_every_target(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "sub" / "b.html"
    a.write_text("old")
    with atomic_outputs() as staged:
        staged(a).write_text("new a")
        staged(b).write_text("new b")
        assert a.read_text() == "old"          # nothing visible before the set is complete
    assert (a.read_text(), b.read_text()) == ("new a", "new b")
    assert write_text_atomic(tmp_path / "p.html", "<p>ā</p>").read_text(encoding="utf-8") == "<p>ā</p>"
    assert not [p for p in tmp_path.rglob(".*")]


def test_a_staged_file_never_written_fails_the_set(tmp_path):
    target = tmp_path / "x.csv"
    target.write_text("old")
    with pytest.raises(FileNotFoundError, match="never written"), atomic_outputs() as staged:
        staged(target)
    assert target.read_text() == "old"


def test_text_cells_that_could_start_a_formula_are_neutralised(tmp_path):
    frame = pl.DataFrame({
        "measure_name": ['=HYPERLINK("http://x","click")', "+1", "-2", "@SUM(A1)", "\tx", "\rx", "Māori – fine", None],
        "value": [-1.5, 2.0, -3.0, 0.0, 1.0, 1.0, 1.0, None],
        "count": [-1, 2, 3, 4, 5, 6, 7, 8],
    })
    safe = neutralise_formulas(frame)
    assert safe["measure_name"].to_list() == [
        '\'=HYPERLINK("http://x","click")', "'+1", "'-2", "'@SUM(A1)", "'\tx", "'\rx", "Māori – fine", None]
    assert safe["value"].to_list() == frame["value"].to_list()      # numbers stay numbers
    path = tmp_path / "out.csv"
    write_csv_safe(frame, path)
    text = path.read_text(encoding="utf-8")
    assert "\n=HYPERLINK" not in text and ",=" not in text and text.splitlines()[1].startswith("\"'=HYPERLINK")
    assert ",-1.5," in text                                          # a negative number unquoted
    back = pl.read_csv(path)
    assert back["count"].to_list() == frame["count"].to_list()


def test_only_files_written_since_the_run_started_are_reported(tmp_path):
    old = tmp_path / "exports" / "slm_measures.csv"
    old.parent.mkdir()
    old.write_text("old")
    past = time.time() - 3600
    os.utime(old, (past, past))
    started = time.time()
    new = tmp_path / "exports" / "slm_equity.csv"
    new.write_text("new")
    (tmp_path / "exports" / ".slm_x.abc.tmp.csv").write_text("temporary")
    found = outputs_since(started, [tmp_path / "exports", tmp_path / "missing"])
    assert (found.written, found.stale) == ([new], [old])


def test_the_command_line_lists_stale_outputs_as_not_updated(tmp_path, capsys):
    from pipelines.cli import print_outputs
    from pipelines.config import Settings

    settings = Settings(warehouse=tmp_path / "w.duckdb", landing=tmp_path / "landing", truth=tmp_path / "truth",
                        dashboards=tmp_path / "dashboards", exports=tmp_path / "exports")
    settings.exports.mkdir()
    settings.dashboards.mkdir()
    stale = settings.exports / "slm_measures.csv"
    stale.write_text("from a run last week")
    past = time.time() - 7 * 86400
    os.utime(stale, (past, past))
    started = time.time()
    (settings.dashboards / "index.html").write_text("<html></html>")
    print_outputs(settings, started)
    out = capsys.readouterr().out
    assert f"Export: {stale}" not in out
    assert f"NOT updated by this run (left from an earlier one): {stale}" in out
    assert "Dashboards written by this run (1 files)" in out and str(settings.dashboards / "index.html") in out
