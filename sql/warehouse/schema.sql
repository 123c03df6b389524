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
