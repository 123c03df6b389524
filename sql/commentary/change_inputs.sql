-- ════════════════════════════════════════════════════════════════════════════════════════════
-- Inputs of "why did it change?" (issue 13 §2): one row per measure × decomposition × window ×
-- district (and New Zealand, '000') × stratum, from the measures' own cells and events, so the
-- parts add up to the published headline of the same window.
--
-- ethnic_group     ASH 0–4. Strata = prioritised ethnic group (Māori, Pacific, Asian,
--                  European/Other). numerator = admissions, denominator = children 0–4. The
--                  district's crude rate Σ numerator / Σ denominator is the published value
--                  (ASH 0–4 is one age band, crude). Kitagawa splits its change into rates
--                  and population mix.                                       [pack-methods §6.1]
-- condition_group  ASH 0–4. Strata = chapter of the ASH code list (Respiratory, Dental,
--                  Gastrointestinal, …) of the condition that qualified each admission;
--                  denominator = all children 0–4 of the district (the same for every
--                  stratum), so the rate is Σ over chapters.                 [pack-methods §6.3]
-- cause_group      Amenable mortality. Strata = condition group of the code list. rate_part =
--                  that group's part of the directly standardised rate,
--                  Σ_band deaths·w/person-years / Σ_band w × multiplier, with the WHO
--                  2000–2025 weights over the measure's bands (renormalised over 0–74 as the
--                  measure is). The DSR is linear in the deaths, so the parts add up to the
--                  published DSR and its change is the sum of the parts' changes.
-- admissions_los   Acute bed days, crude (acute_bed_days_crude): one stratum. rate = stays per
--                  person × bed days per stay; numerator = bed days, stays = stays, denominator
--                  = population. The headline is indirectly standardised, so the crude rate is
--                  the one split into admissions and length of stay.                        [I]
-- Each decomposition's INSERT is its own file here (<measure>_<decomposition>.sql), run only when
-- its measure's tables exist. Withheld windows are kept with withheld = true; the
-- decomposition publishes nothing for them.
-- ════════════════════════════════════════════════════════════════════════════════════════════

CREATE OR REPLACE TABLE marts.change_inputs (
    measure_id VARCHAR, decomposition VARCHAR, district_code VARCHAR,
    period_start DATE, period_end DATE, withheld BOOLEAN, stratum VARCHAR,
    numerator DOUBLE, denominator DOUBLE, stays DOUBLE, rate_part DOUBLE
);
