//! # lighed-core
//!
//! The pure computational core of lighed. Nothing in this crate performs I/O: every function takes
//! values and returns values, so nothing here can fail for environmental reasons, and everything
//! here is deterministic (random draws are seeded by the caller).
//!
//! Module map:
//! - [`geo`]: geography levels, area codes, health councils (sundhedsråd) and the great-circle
//!   distance.
//! - [`obs`]: observations, the cells of register data (with missing/suppressed reasons).
//! - [`model`]: index model specifications (parsed from TOML, validated into types the kernel
//!   takes) and the scoring engine that turns an indicator table into scores, ranks, deciles and
//!   exact per-indicator contributions.
//! - [`disclosure`]: primary and complementary cell suppression (k ≥ 5) with a proof that no hidden cell can be recovered.
//! - [`stats`]: indicator statistics with exact confidence intervals (PHE methods), funnels, quantiles, inequality measures.

pub mod disclosure;
pub mod geo;
pub mod kernel;
pub mod model;
pub mod obs;
pub mod stats;
pub mod transform;
