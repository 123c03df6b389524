"""Partitions: each source is partitioned by its own reporting period.

Keys are the period's first day (2024-04-01 = 2024Q2); labels are derived with pipelines.periods.
There is no quarterly partitions class in Dagster; a three-monthly cron gives calendar quarters.
"""

from __future__ import annotations

import dagster as dg

FIRST_PERIOD = "2015-01-01"  # SLMs began in 2016; a year before gives every 2016 window its history

quarterly = dg.TimeWindowPartitionsDefinition(
    cron_schedule="0 0 1 */3 *", start=FIRST_PERIOD, fmt="%Y-%m-%d")
half_yearly = dg.TimeWindowPartitionsDefinition(
    cron_schedule="0 0 1 1,7 *", start=FIRST_PERIOD, fmt="%Y-%m-%d")
yearly = dg.TimeWindowPartitionsDefinition(
    cron_schedule="0 0 1 1 *", start=FIRST_PERIOD, fmt="%Y-%m-%d")

BY_KIND = {"quarter": quarterly, "half_year": half_yearly, "year": yearly}
