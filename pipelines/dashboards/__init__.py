"""ALT dashboards: self-contained offline HTML from marts.measures / marts.equity / marts.trend.

from pipelines.dashboards import build_dashboards
build_dashboards(measures, equity, trend, dq, Path("dashboards/output"), "2025Q2")
"""

from pipelines.dashboards.export import export_png
from pipelines.dashboards.figures import equity_figure, forest_figure, trend_figure
from pipelines.dashboards.render import build_dashboards
from pipelines.dashboards.tables import latest_table

__all__ = [
    "build_dashboards",
    "equity_figure",
    "export_png",
    "forest_figure",
    "latest_table",
    "trend_figure",
]
