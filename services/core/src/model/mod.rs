//! Index models: specification (TOML) and scoring engine.
