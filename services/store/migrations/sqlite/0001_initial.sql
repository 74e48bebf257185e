-- lighed schema v1 (SQLite). Keep in step with migrations/postgres/0001_initial.sql.
CREATE TABLE areas (
    code              TEXT PRIMARY KEY,
    name              TEXT NOT NULL,
    level             TEXT NOT NULL CHECK (level IN ('region', 'council', 'municipality', 'parish', 'housing_area')),
    alias             TEXT,
    parent_code       TEXT REFERENCES areas (code),
    municipality_code TEXT,
    council_code      TEXT,
    population        BIGINT,
    lon               DOUBLE PRECISION,
    lat               DOUBLE PRECISION
);
CREATE INDEX areas_by_level ON areas (level, parent_code);

CREATE TABLE datasets (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    source        TEXT NOT NULL,
    format        TEXT NOT NULL,
    table_id      TEXT,
    checksum      TEXT NOT NULL UNIQUE,
    encoding      TEXT,
    presentation  TEXT,
    periods       TEXT NOT NULL DEFAULT '',
    row_count     BIGINT NOT NULL DEFAULT 0,
    missing_count BIGINT NOT NULL DEFAULT 0,
    imported_by   TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('loading', 'active', 'retired')),
    retired_at    TEXT,
    retired_by    TEXT
);

CREATE TABLE observations (
    dataset_id     BIGINT NOT NULL REFERENCES datasets (id),
    area_code      TEXT NOT NULL,
    indicator      TEXT NOT NULL,
    period         TEXT NOT NULL,
    age_band       TEXT NOT NULL DEFAULT '',
    sex            TEXT NOT NULL DEFAULT '',
    segment        TEXT NOT NULL DEFAULT '',
    numerator      DOUBLE PRECISION,
    denominator    DOUBLE PRECISION,
    missing_reason TEXT,
    PRIMARY KEY (dataset_id, area_code, indicator, period, age_band, sex, segment)
);
CREATE INDEX observations_by_indicator ON observations (indicator, area_code, period);

CREATE TABLE model_runs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    model_name    TEXT NOT NULL,
    model_version TEXT NOT NULL,
    level         TEXT NOT NULL,
    scope         TEXT NOT NULL,
    data_version  TEXT NOT NULL,
    dataset_ids   TEXT NOT NULL,
    requested_by  TEXT NOT NULL,
    channel       TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    row_count     BIGINT NOT NULL,
    result_sha256 TEXT NOT NULL
);
