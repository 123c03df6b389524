"""When an asset downstream of the raw data refreshes itself (declarative automation).

Dagster's `eager()` also waits until no upstream partition is missing. The raw assets are
partitioned by period from 2015, and most of those partitions never hold data, so `eager()`
would never fire. Here: refresh when any upstream asset was updated (or is about to be, in the
same evaluation, so a whole chain goes in one run), and not while an upstream run or this asset's
own run is in progress. A new quarter of one source thus recomputes exactly the assets that read
that source, directly or through staging.
"""

from __future__ import annotations

import os

import dagster as dg

REFRESH_WHEN_UPSTREAM_CHANGES = (
    dg.AutomationCondition.any_deps_updated()
    & ~dg.AutomationCondition.any_deps_in_progress()
    & ~dg.AutomationCondition.in_progress()
).with_label("refresh when an upstream asset changed")

# Board papers: once a day, early morning in New Zealand, for pages that changed since the last
# print. Printing takes minutes of CPU, so it waits for the morning instead of following every
# file that lands; a person who needs them sooner runs `slm papers` or materialises them in the UI.
# SLM_BOARD_PAPERS_CRON changes the time (the UI test moves it off its run, which once crossed 06:00).
PRINT_EACH_MORNING = dg.AutomationCondition.on_cron(
    os.environ.get("SLM_BOARD_PAPERS_CRON", "0 6 * * *"), "Pacific/Auckland").with_label(
    "print at 06:00 NZ time when the pages changed since the last print")
