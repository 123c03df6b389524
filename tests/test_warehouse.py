"""The warehouse connection and staging builds, on real DuckDB files."""

from __future__ import annotations

from pipelines.warehouse import connect, scalar


def test_every_connection_caps_duckdbs_memory(tmp_path, monkeypatch):
    monkeypatch.delenv("SLM_DUCKDB_MEMORY_LIMIT", raising=False)
    with connect(tmp_path / "w.duckdb") as con:
        default = scalar(con, "SELECT current_setting('memory_limit')")
    monkeypatch.setenv("SLM_DUCKDB_MEMORY_LIMIT", "300MB")
    with connect(tmp_path / "w.duckdb") as con:
        configured = scalar(con, "SELECT current_setting('memory_limit')")
    # DuckDB reports the limit in binary units: 1 GB → 953.6 MiB, 300 MB → 286.1 MiB
    assert (default, configured) == ("953.6 MiB", "286.1 MiB")
