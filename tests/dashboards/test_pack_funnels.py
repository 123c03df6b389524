"""The pack's funnels for acute bed days (overdispersed) and patient experience (survey mean),
checked on small hand-computed funnels; and that a funnel that cannot be drawn says why."""

from __future__ import annotations

import math
from datetime import date

import polars as pl
import pytest

from pipelines.dashboards.funnels import funnel, mean_sd

Z95, Z998 = 1.959963984540054, 3.090232306167813
END = date(2025, 12, 31)


def _rows(measure: dict, values: list[dict]) -> pl.DataFrame:
    base = {"period_start": date(2025, 1, 1), "period_end": END, "period_label": "Year to Dec 2025",
            "group_id": "total", "lower_ci": None, "upper_ci": None, **measure}
    return pl.DataFrame([{**base, **v} for v in values])


BED = {"measure_id": "acute_bed_days", "measure_name": "Acute hospital bed days per 1,000 population",
       "unit": "per 1,000 population", "multiplier": 1000.0, "method": "quasi-Poisson"}
REF = 440.0  # New Zealand's crude rate per 1,000: the value of O = E
OBSERVED = [220, 300, 380, 400, 400, 420, 440, 460, 600, 800]  # each against E = 400


def _bed_days() -> pl.DataFrame:
    areas = [{"district_code": f"{i:03d}", "district_name": f"D{i}", "numerator": float(o),
              "expected": 400.0, "reference_rate": REF, "value": o / 400 * REF}
             for i, o in enumerate(OBSERVED, start=11)]
    nz = {"district_code": "000", "district_name": "New Zealand", "numerator": 4420.0,
          "expected": 4420.0, "reference_rate": REF, "value": REF}
    return _rows(BED, [nz, *areas])


def _labels(fig) -> dict[str, list[str]]:
    return {t.name: list(t.customdata) for t in fig.data if t.mode == "markers"}


def test_bed_days_funnel_is_adjusted_for_overdispersion_by_hand():
    out = funnel(_bed_days(), "indirect_age_sex")
    # z = sqrt(E) ln(O/E) = 20 ln(O/400); truncation (n = 10) sets aside rank 1 (O = 220) and 10 (800).
    kept = [20 * math.log(o / 400) for o in OBSERVED[1:-1]]
    phi = sum(z * z for z in kept) / 8
    tau2 = (8 * phi - 7) / (8 * 400 - 8 * 400**2 / (8 * 400))  # w = E = 400 for the 8 kept
    sd = math.sqrt(1 / 400 + tau2)
    lo95, hi95 = REF * math.exp(-Z95 * sd), REF * math.exp(Z95 * sd)
    lo998, hi998 = REF * math.exp(-Z998 * sd), REF * math.exp(Z998 * sd)
    # By hand: Σz² = 33.104 + 1.052 + 0 + 0 + 0.952 + 3.634 + 7.813 + 65.761 = 112.316, phi = 14.040,
    # tau2 = (112.316 − 7)/(3200 − 400) = 0.037613; sd = √(0.0025 + 0.037613) = 0.20028, so at
    # E = 400 the limits are ×exp(∓1.96·0.20028) = [0.6753, 1.4808] and ×exp(∓3.09·0.20028) = [0.5385, 1.8569].
    assert phi == pytest.approx(14.040, abs=0.001) and tau2 == pytest.approx(0.037613, abs=1e-6)
    assert (lo95 / REF, hi95 / REF, lo998 / REF, hi998 / REF) == pytest.approx(
        (0.6753, 1.4808, 0.5385, 1.8569), abs=2e-4)
    assert _labels(out["figure"].build()) == {
        "High (0.001)": ["D20"],            # 800/400 = 2.0 > 1.8569
        "High (0.025)": ["D19"],            # 1.5 in (1.4808, 1.8569]
        "Not significant": ["D12", "D13", "D14", "D15", "D16", "D17", "D18"],  # 0.75 … 1.15
        "Low (0.025)": ["D11"],             # 220/400 = 0.55 in [0.5385, 0.6753)
    }
    lines = [t for t in out["figure"].build().data if t.mode == "lines" and t.name.startswith("95%")]
    at_400 = [y for t in lines for x, y in zip(t.x, t.y, strict=True) if abs(x - 400) < 8]
    assert min(at_400) == pytest.approx(lo95, rel=0.02) and max(at_400) == pytest.approx(hi95, rel=0.02)
    # The adjustment is stated on the chart and, with how it was estimated, in the caption.
    assert f"φ = {phi:.3g}, τ² = {tau2:.3g}" in out["figure"].build().layout.title.text
    assert "8 of 10 districts" in out["method"] and "exp(±z·√(1/E + τ²))" in out["method"]


def test_bed_days_without_overdispersion_draws_unadjusted_limits_and_says_so():
    frame = _bed_days().with_columns(pl.col("expected").alias("numerator"),
                                     pl.lit(REF).alias("value"))  # O = E everywhere: phi = 0
    out = funnel(frame, "indirect_age_sex")
    assert "τ² = 0: no overdispersion found, limits unadjusted" in out["figure"].build().layout.title.text
    assert _labels(out["figure"].build()) == {"Not significant": [f"D{i}" for i in range(11, 21)]}


PES = {"measure_id": "patient_experience", "measure_name": "Patient experience of care",
       "unit": "score out of 10", "multiplier": 1.0, "method": "weighted mean"}


def test_patient_experience_funnel_is_a_normal_approximation_on_the_mean():
    # New Zealand: mean 8.0, n_eff 400, its t interval built from a respondent SD of 1.6.
    from scipy.stats import t
    half = t.ppf(0.975, 399) * 1.6 / 20
    assert mean_sd(8 - half, 8 + half, 400) == pytest.approx(1.6, rel=1e-12)
    areas = [("011", 25, 7.2), ("021", 25, 8.5), ("022", 100, 9.1), ("023", 100, 7.75),
             ("031", 64, 7.5)]
    frame = _rows(PES, [{"district_code": "000", "district_name": "New Zealand", "numerator": 3200.0,
                         "value": 8.0, "lower_ci": 8 - half, "upper_ci": 8 + half, "effective_n": 400.0},
                        *[{"district_code": c, "district_name": c, "numerator": v * n, "value": v,
                           "effective_n": float(n)} for c, n, v in areas]])
    out = funnel(frame, "weighted_mean")
    # Limits 8 ± z·1.6/√n: n = 25 → 95% [7.373, 8.627], 99.8% [7.011, 8.989];
    # n = 100 → [7.686, 8.314], [7.506, 8.494]; n = 64 → [7.608, 8.392], [7.382, 8.618].
    assert _labels(out["figure"].build()) == {
        "High (0.001)": ["022"],             # 9.1 > 8.494
        "Not significant": ["021", "023"],   # 8.5 < 8.627; 7.75 > 7.686
        "Low (0.025)": ["011", "031"],       # 7.2 in [7.011, 7.373); 7.5 in [7.382, 7.608)
    }
    assert "normal approximation" in out["method"] and "σ = 1.60" in out["method"]
    assert out["figure"].build().layout.xaxis.title.text == "Effective number of respondents (Kish)"


def test_a_funnel_that_cannot_be_drawn_says_why():
    no_expected = _bed_days().drop("expected")
    out = funnel(no_expected, "indirect_age_sex")
    assert out["figure"] is None and "expected bed days" in out["note"]
    no_neff = _rows(PES, [{"district_code": c, "district_name": c, "numerator": 8.0, "value": 8.0}
                          for c in ("000", "011", "021", "022")])
    out = funnel(no_neff, "weighted_mean")
    assert out["figure"] is None and "effective sample sizes" in out["note"]
