"""How often the evaluation's 95% intervals contain a planted change, over many seeds.

    .venv/bin/python scripts/evaluation_coverage.py [--seeds 200]

Prints, per scenario and method, the share of seeds whose interval contains the planted level
and slope change, and how often the level interval excludes zero. Counts are drawn from the
synthetic generator's planted model (pipelines.evaluation.recovery).
"""

from __future__ import annotations

import argparse
import time

from pipelines.evaluation.recovery import METHODS, coverage, local_scenario

SCENARIOS = {
    "local: -15% level, -1%/quarter slope, Counties Manukau, total": local_scenario(),
    "national only: -20% level everywhere, no local change": local_scenario(
        level=0.0, slope=0.0, national_level=-0.2),
    "local -15%/-1% plus national -20% at the same time": local_scenario(national_level=-0.2),
    "local: -20% level, Northland, Māori": local_scenario(level=-0.2, slope=0.0, district="011",
                                                          group="maori"),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seeds", type=int, default=200)
    ap.add_argument("--scenario", type=int, default=None, help="run only this one (1-based)")
    ap.add_argument("--methods", default=",".join(METHODS), help="comma-separated subset")
    a = ap.parse_args()
    for k, (name, scenario) in enumerate(SCENARIOS.items(), start=1):
        if a.scenario is not None and k != a.scenario:
            continue
        t0 = time.process_time()
        result = coverage(scenario, range(a.seeds), tuple(a.methods.split(",")))
        print(f"\n{name}  ({a.seeds} seeds, {time.process_time() - t0:.0f} s CPU)")
        print(f"  {'method':18s} {'level in CI':>12s} {'slope in CI':>12s} {'level CI excludes 0':>20s}")
        for method, r in result.items():
            print(f"  {method:18s} {r['level']:12.3f} {r['slope']:12.3f} {r['level_excludes_zero']:20.3f}",
                  flush=True)


if __name__ == "__main__":
    main()
