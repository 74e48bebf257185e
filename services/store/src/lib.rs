//! Store (sqlx, SQLite and PostgreSQL).
