-- Warehouse schemas and bookkeeping tables (docs/warehouse.md). Idempotent.
CREATE SCHEMA IF NOT EXISTS ref;
CREATE SCHEMA IF NOT EXISTS raw;
CREATE SCHEMA IF NOT EXISTS meta;
CREATE SCHEMA IF NOT EXISTS staging;
CREATE SCHEMA IF NOT EXISTS marts;

-- One row per file × period loaded. For every file: rows_read = rows_loaded + rows_quarantined.
CREATE TABLE IF NOT EXISTS meta.provenance (
    source_id        VARCHAR NOT NULL,
    file_name        VARCHAR NOT NULL,
    file_hash        VARCHAR NOT NULL,
    period           VARCHAR,            -- NULL when the whole file was rejected before periods were known
    rows_read        BIGINT NOT NULL,
    rows_loaded      BIGINT NOT NULL,
    rows_quarantined BIGINT NOT NULL,
    status           VARCHAR NOT NULL,   -- loaded | superseded | rejected
    message          VARCHAR,
    loaded_at        TIMESTAMP NOT NULL
);

-- Every row read but not loaded, with the rule it broke. record = the row as read (all strings).
CREATE TABLE IF NOT EXISTS meta.quarantine (
    source_id  VARCHAR NOT NULL,
    file_name  VARCHAR NOT NULL,
    file_hash  VARCHAR NOT NULL,
    row_number BIGINT NOT NULL,
    period     VARCHAR,
    rule_id    VARCHAR NOT NULL,
    severity   VARCHAR NOT NULL,
    reason     VARCHAR NOT NULL,
    record     JSON
);

CREATE TABLE IF NOT EXISTS meta.dq_rule_results (
    source_id          VARCHAR NOT NULL,
    period             VARCHAR NOT NULL,
    rule_id            VARCHAR NOT NULL,
    severity           VARCHAR NOT NULL,
    dimension          VARCHAR,
    description        VARCHAR,
    passed             BOOLEAN NOT NULL,
    unexpected_count   BIGINT,
    rows_evaluated     BIGINT,
    districts_affected VARCHAR[],
    engine             VARCHAR,
    checked_at         TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS meta.period_status (
    source_id      VARCHAR NOT NULL,
    period         VARCHAR NOT NULL,
    status         VARCHAR NOT NULL,     -- pass | warn | blocked
    blocking_rules VARCHAR[],
    checked_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (source_id, period)
);

-- Which periods each landing file covers, found once per content hash (cheap: one column read).
CREATE TABLE IF NOT EXISTS meta.landing_files (
    source_id   VARCHAR NOT NULL,
    file_hash   VARCHAR NOT NULL,
    file_name   VARCHAR NOT NULL,
    main_period VARCHAR,
    periods     VARCHAR[],
    PRIMARY KEY (source_id, file_hash)
);

-- The raw periods each per-period staging table was last built from (pipelines/staging.py):
-- a period whose fingerprint changed is rebuilt, the others are left as they are.
CREATE TABLE IF NOT EXISTS meta.staging_periods (
    table_name  VARCHAR NOT NULL,
    period      VARCHAR NOT NULL,
    fingerprint VARCHAR NOT NULL,   -- per raw table read: rows and a hash of (_file_hash, _row_number)
    definition  VARCHAR NOT NULL,   -- hash of the SQL, its macros and the reference tables they read
    PRIMARY KEY (table_name, period)
);

-- The staging periods each per-period marts table (a measure's events, declared `incremental by`)
-- was last built from (pipelines/measures/incremental_events.py): fingerprint = the staging
-- table's record of the period (meta.staging_periods), definition = hash of the measure's SQL,
-- its definition choices and the reference tables they read.
CREATE TABLE IF NOT EXISTS meta.mart_periods (
    table_name  VARCHAR NOT NULL,
    period      VARCHAR NOT NULL,
    fingerprint VARCHAR NOT NULL,
    definition  VARCHAR NOT NULL,
    PRIMARY KEY (table_name, period)
);

-- Great Expectations' verdict on a hand-kept file (the milestones file), by its content and its
-- contract: the pages and the commentary read the file in every refresh, and a run worker would
-- import GX (~6 s) only to repeat a verdict already given on the same bytes under the same rules.
CREATE TABLE IF NOT EXISTS meta.hand_kept_verdicts (
    file_hash            VARCHAR NOT NULL,   -- sha256 of the file's bytes
    contract_fingerprint VARCHAR NOT NULL,
    gx_version           VARCHAR NOT NULL,
    file_name            VARCHAR NOT NULL,
    blocking_rules       VARCHAR[] NOT NULL, -- rules GX failed; empty = passed
    checked_at           TIMESTAMP NOT NULL,
    PRIMARY KEY (file_hash, contract_fingerprint, gx_version)
);

-- A file's header against its contract: missing, unknown and near-miss columns
-- (pipelines/sources/header.py).
CREATE TABLE IF NOT EXISTS meta.file_findings (
    source_id   VARCHAR NOT NULL,
    file_name   VARCHAR NOT NULL,
    file_hash   VARCHAR NOT NULL,
    kind        VARCHAR NOT NULL,   -- missing_required | missing_column | unknown_column
    column_name VARCHAR NOT NULL,
    suggestion  VARCHAR,            -- the closest name on the other side, when there is one
    read_by     VARCHAR[],          -- measures that read the column ('all': every measure of the source)
    message     VARCHAR NOT NULL,
    found_at    TIMESTAMP NOT NULL
);

-- Columns missing from the file loaded for a period, with the measures that read them: those
-- measures withhold the windows containing the period. A later file that has the column
-- supersedes this one, and the gap goes with it.
CREATE OR REPLACE VIEW meta.column_gaps AS
SELECT f.source_id, p.period, f.column_name, f.file_name, f.read_by, f.message
FROM meta.file_findings f
JOIN meta.provenance p ON p.source_id = f.source_id AND p.file_hash = f.file_hash
WHERE f.kind = 'missing_column' AND p.status = 'loaded' AND len(f.read_by) > 0;

-- Every rejected file, the period it was for, and what the figures use instead: the file last
-- loaded for that period (NULL when none was). docs/file-rejection.md.
CREATE OR REPLACE VIEW meta.file_rejections AS
WITH kept AS (
    SELECT source_id, period, arg_max(file_name, loaded_at) AS kept_file,
           max(loaded_at) AS kept_loaded_at
    FROM meta.provenance WHERE status = 'loaded' GROUP BY ALL
)
-- An unreadable file has no period of its own: its name usually says it (nmds_events_2025Q4.csv).
SELECT r.source_id, r.file_name, r.file_hash,
       coalesce(l.main_period, NULLIF(regexp_extract(r.file_name, '((19|20)[0-9]{2}(Q[1-4]|H[12])?)', 1), ''))
           AS period,
       r.message AS reason,
       r.loaded_at AS rejected_at, k.kept_file, k.kept_loaded_at
FROM meta.provenance r
LEFT JOIN meta.landing_files l ON l.source_id = r.source_id AND l.file_hash = r.file_hash
LEFT JOIN kept k ON k.source_id = r.source_id
    AND k.period = coalesce(l.main_period, NULLIF(regexp_extract(r.file_name, '((19|20)[0-9]{2}(Q[1-4]|H[12])?)', 1), ''))
WHERE r.status = 'rejected';

-- The tidy measures table (docs/warehouse.md). Values of suppressed rows stay here for analysts;
-- exports and dashboards never show them.
CREATE TABLE IF NOT EXISTS marts.measures (
    district_code VARCHAR, district_name VARCHAR, measure_id VARCHAR, measure_name VARCHAR,
    period_start DATE, period_end DATE, period_label VARCHAR, group_id VARCHAR, breakdown VARCHAR,
    numerator DOUBLE, denominator DOUBLE, value DOUBLE, lower_ci DOUBLE, upper_ci DOUBLE,
    confidence DOUBLE, unit VARCHAR, multiplier DOUBLE, method VARCHAR, suppressed BOOLEAN,
    suppression_reason VARCHAR, status VARCHAR, status_reason VARCHAR, definition_version VARCHAR,
    definition_status VARCHAR, direction VARCHAR
);
-- Notes and the columns that reproduce each value (pipelines/measures/annotations.py); added by
-- ALTER so a warehouse built before them gains them too.
ALTER TABLE marts.measures ADD COLUMN IF NOT EXISTS definition_note VARCHAR;
ALTER TABLE marts.measures ADD COLUMN IF NOT EXISTS series_break BOOLEAN;
ALTER TABLE marts.measures ADD COLUMN IF NOT EXISTS series_note VARCHAR;
ALTER TABLE marts.measures ADD COLUMN IF NOT EXISTS weight_sum DOUBLE;
ALTER TABLE marts.measures ADD COLUMN IF NOT EXISTS effective_n DOUBLE;
ALTER TABLE marts.measures ADD COLUMN IF NOT EXISTS expected DOUBLE;
ALTER TABLE marts.measures ADD COLUMN IF NOT EXISTS reference_rate DOUBLE;
ALTER TABLE marts.measures ADD COLUMN IF NOT EXISTS standard_population VARCHAR;
ALTER TABLE marts.measures ADD COLUMN IF NOT EXISTS value_formula VARCHAR;

CREATE TABLE IF NOT EXISTS marts.equity (
    district_code VARCHAR, measure_id VARCHAR, breakdown VARCHAR, period_end DATE, group_id VARCHAR,
    comparator_group VARCHAR, rate_ratio DOUBLE, rr_lower DOUBLE, rr_upper DOUBLE,
    rate_difference DOUBLE, rd_lower DOUBLE, rd_upper DOUBLE, method VARCHAR, suppressed BOOLEAN
);

CREATE TABLE IF NOT EXISTS marts.trend (
    district_code VARCHAR, measure_id VARCHAR, group_id VARCHAR, breakdown VARCHAR, period_end DATE,
    value DOUBLE, mean DOUBLE, upl DOUBLE, lpl DOUBLE, near_upl DOUBLE, near_lpl DOUBLE,
    special_cause_rule VARCHAR, point_type VARCHAR
);
