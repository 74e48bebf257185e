//! Register ingest readers (see issue 4).
