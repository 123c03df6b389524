"""`slm`: the analyst's command line. Every run goes through Dagster and is recorded in the
instance configured by ./dagster.yaml, so `make ui` shows what the command line did.

    slm generate --preset national --years 5   synthetic extracts into the landing folder
    slm run [--all] [--papers]                 ingest what is new, recompute what depends on it
                                               (--all: recompute everything), write dashboards
                                               (--papers: then print their board-paper PDFs)
    slm papers                                 print the board papers of the pages that lack one
    slm demo --preset national --years 5       generate, then run with --papers
    slm status                                 sources, rejected files, blocked periods, stale
                                               assets, the last runs
    slm report [--period 2025Q4]               the data-quality report for a period

Exit status of `run`: 0 done, 1 a run failed, 75 another run is writing the warehouse.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time

from pipelines.config import PROJECT_ROOT, Settings

log = logging.getLogger("slm")


BUSY = 75  # EX_TEMPFAIL: try again later


def _instance():
    import dagster as dg

    os.environ.setdefault("DAGSTER_HOME", str(PROJECT_ROOT))
    os.chdir(PROJECT_ROOT)  # dagster.yaml's storage paths are relative to the project root
    return dg.DagsterInstance.get()


def _mark_killed_runs(instance, settings: Settings) -> None:
    from pipelines.defs.run_health import fail_abandoned_runs

    for run_id in fail_abandoned_runs(instance, str(settings.warehouse)):
        print(f"note: run {run_id[:8]} had been killed; it is now marked failed")


def _start(command: str, settings: Settings):
    """The instance for a command that writes, after marking killed runs failed; None (with the
    reason on stderr) while another run holds the warehouse."""
    from pipelines.defs.writer_lock import busy_message, current_writer

    instance = _instance()
    _mark_killed_runs(instance, settings)
    writer = current_writer(settings.warehouse)
    if writer:
        print(f"slm {command}: not started: {busy_message(writer)}", file=sys.stderr)
        return None
    return instance


def run(settings: Settings, refresh_all: bool = False, papers: bool = False) -> int:
    """Ingest every new file in the landing folder, then refresh what depends on it.
    Exit status: 0 all loaded, 1 a job failed, 2 completed with rejected files, 75 busy."""
    from pipelines.sources.outcome import landing_outcome

    instance = _start("run", settings)
    if instance is None:
        return BUSY
    from pipelines.definitions import defs
    from pipelines.defs.launch import run_pending

    runs = run_pending(defs(), instance, settings, refresh_all=refresh_all, papers=papers,
                       on_start=lambda line: print(f"==> {line}"))
    if not runs:
        print(f"==> nothing new in {settings.landing}; `slm run --all` recomputes everything")
    ok = all([_report(r.result) for r in runs])
    outcome = landing_outcome(settings)
    for line in outcome.lines:
        print(f"    {line}")
    print(outcome.closing(ok))
    return 1 if not ok else outcome.exit_status


def papers(settings: Settings) -> int:
    """Print the board papers of the pages as they stand (`slm papers`)."""
    instance = _start("papers", settings)
    if instance is None:
        return BUSY
    from pipelines.definitions import defs
    from pipelines.defs.launch import print_papers

    started = time.time()
    print(f"==> board papers of the pages in {settings.dashboards}")
    ok = _report(print_papers(defs(), instance).result)
    print_papers_state(settings, started, sorted(settings.dashboards.glob("*.html")))
    return 0 if ok else 1


def _report(result) -> bool:
    for evaluation in result.get_asset_check_evaluations():
        if not evaluation.passed:
            print(f"    check {evaluation.asset_key.to_user_string()}:{evaluation.check_name} "
                  f"FAILED ({evaluation.severity.value}) — see the data-quality report")
    print(f"    run {result.run_id}: {'succeeded' if result.success else 'FAILED'}")
    return result.success


def generate(settings: Settings, preset: str, years: int, seed: int, end_quarter: str) -> None:
    from pipelines.synthetic import generate as synth

    summary = synth(preset=preset, out_dir=settings.landing, truth_dir=settings.truth,
                    years=years, end_quarter=end_quarter, seed=seed)
    print(f"==> synthetic {preset} extracts ({years} years to {end_quarter}) in {settings.landing}")
    rows = sum(f["rows"] for f in summary.files)
    print(f"    {len(summary.files)} files, {rows:,} rows, {summary.seconds:.0f} s; truth in {settings.truth}")


def print_truth_coverage(settings: Settings) -> None:
    """Synthetic data only: how often each measure's 95% CI contains the planted truth."""
    if not (settings.truth / "truth.parquet").exists():
        return
    import polars as pl

    from pipelines.synthetic.truth_check import compare_with_truth, coverage_summary, read_truth
    from pipelines.warehouse import connect

    truth = read_truth(settings.truth)
    with connect(settings.warehouse) as con:
        measures = con.sql("SELECT * FROM marts.measures").pl()
    summary = coverage_summary(compare_with_truth(measures, truth), truth)
    print("\nPlanted truth recovered (synthetic data): share of cells whose 95% CI contains it")
    with pl.Config(tbl_hide_dataframe_shape=True, tbl_rows=50, float_precision=3,
                   tbl_hide_column_data_types=True):
        print(summary)


def print_outputs(settings: Settings, started: float) -> None:
    """The dashboards and exports this run wrote; older files left in place are named as such,
    never listed as new (a failed or partial run writes nothing: pipelines/output_files.py)."""
    from pipelines.measures.measure_config import default_config
    from pipelines.output_files import outputs_since

    for why in default_config().rejected.values():
        print(f"Measure not published: {why}")
    pages = outputs_since(started, [settings.dashboards], "*.html")
    print(f"\nDashboards written by this run ({len(pages.written)} files) in {settings.dashboards}:")
    index = [p for p in pages.written if p.name == "index.html"]
    for p in index + [p for p in pages.written if p.name != "index.html"][:3]:
        print(f"  {p}")
    if len(pages.written) > 4:
        print(f"  … and {len(pages.written) - 4} more district pages")
    print_papers_state(settings, started, pages.written + pages.stale)
    exports = outputs_since(started, [settings.exports])
    for p in exports.written:
        print(f"Export: {p}")
    for p in pages.stale + exports.stale:
        print(f"NOT updated by this run (left from an earlier one): {p}")
    print("Dagster UI with these runs: make ui  →  http://127.0.0.1:3000")


def print_papers_state(settings: Settings, started: float, pages: list) -> None:
    from pipelines.dashboards.pdf import board_paper
    from pipelines.output_files import outputs_since

    printed = outputs_since(started, [settings.dashboards], "*.pdf").written
    if printed:
        print(f"Board papers printed by this run: {len(printed)} (a PDF beside each page)")
    missing = [p for p in pages if not board_paper(p).is_file()]
    if missing:
        print(f"Pages without a board paper yet: {len(missing)} (`slm papers` prints them; "
              "the daemon does at 06:00)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="slm", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("generate", "demo"):
        p = sub.add_parser(name)
        p.add_argument("--preset", choices=["small", "national"], default="small")
        p.add_argument("--years", type=int, default=2)
        p.add_argument("--seed", type=int, default=20260101)
        p.add_argument("--end-quarter", default="2025Q4")
    run_parser = sub.add_parser("run")
    run_parser.add_argument("--all", action="store_true", help="recompute everything downstream")
    run_parser.add_argument("--papers", action="store_true",
                            help="then print the board-paper PDFs of the pages that changed")
    sub.add_parser("papers")
    sub.add_parser("status")
    rep = sub.add_parser("report")
    rep.add_argument("--period", default=None, help="e.g. 2025Q4; default: the latest loaded")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    settings = Settings.from_env()

    if args.command in ("generate", "demo"):
        generate(settings, args.preset, args.years, args.seed, args.end_quarter)
    if args.command in ("run", "demo"):
        started = time.time()
        code = run(settings, refresh_all=getattr(args, "all", False),
                   papers=args.command == "demo" or args.papers)
        if code == BUSY:
            return code
        print_truth_coverage(settings)
        print_outputs(settings, started)
        return code
    if args.command == "papers":
        return papers(settings)
    if args.command == "status":
        from pipelines.defs.status import print_status

        instance = _instance()
        _mark_killed_runs(instance, settings)
        print_status(instance, settings)
    if args.command == "report":
        from pipelines.contracts.report import render_dq_report
        from pipelines.warehouse import connect

        with connect(settings.warehouse) as con:
            period = args.period or con.sql("SELECT max(period) FROM meta.period_status").fetchall()[0][0]
            print(render_dq_report(con, period))
    return 0


if __name__ == "__main__":
    sys.exit(main())
