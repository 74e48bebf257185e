//! Index models: specification (TOML) and scoring engine.
//!
//! A model file in `models/` declares the indicators of an index (direction, unit, minimum
//! denominator, domain) and the steps that turn them into a score: normalisations (CDC
//! percentile rank, rank-based normal scores, z-scores, min–max, inversion), combinations
//! (weighted sums, the IoD exponential transform) and rules (flags, "at least k of n").
//! [`ModelSpec::from_toml`] parses and validates such a file into a [`ModelSpec`] whose steps form
//! an acyclic plan; [`ModelSpec::score`] evaluates the plan on an [`IndicatorTable`] with the
//! [kernel](crate::kernel) and returns a [`ScoreTable`] with score, rank, decile and the exact
//! contribution of each indicator, with reasons in plain words; [`ModelSpec::evaluate`] adds the
//! model's named output columns; [`ModelSpec::score_with_draws`] adds Monte Carlo rank
//! uncertainty; [`offline::score_csv`] is the `lighed score` entry point. The file format and the
//! operations are documented in `models/README.md`; the shipped models are listed by
//! [`builtin_names`].
//!
//! The simplest model — the shorthand of `rm-health-inequality-v0` — is described in full below;
//! the general rules for ranks, deciles, missing values and explanations are the same for every
//! model.
//!
//! # The additive z-score model (`normalisation = "z_score"`, `combination = "weighted_sum"`)
//!
//! For indicator *k* and area *a* with numerator `x` and denominator `n`:
//!
//! 1. **Value** `v_ak` in display units: `100·x/n` for a proportion (percent), `per·x/n` for a rate
//!    (e.g. per 1,000), `x` for a count or a plain value. The value is *missing* when the
//!    numerator or (for proportions and rates) the denominator is missing, when `n = 0`, or when
//!    `n` is below the indicator's `min_denominator` (too few people for a stable value).
//! 2. **Reference** `r_k`, the pooled value over all areas of the table that have a value:
//!    `Σx/Σn` in display units for proportions and rates (the regional rate, not the mean of area
//!    rates), the arithmetic mean for counts and values.
//! 3. **z-score** `z_ak = s_k·(v_ak − mean_k)/sd_k` over the areas with a value, where `sd_k` is
//!    the sample standard deviation (divisor N − 1, as R's `scale`) and `s_k = +1` for
//!    `higher_is_worse`, `−1` for `higher_is_better`, so that a high z always means high need.
//!    Because every indicator is standardised before weighting, the units of an indicator cannot
//!    change the ranking (the lesson of the US ADI, METHODS.md §3). If fewer than two areas have
//!    a value or all values are equal, the indicator cannot separate areas and `z_ak = 0`.
//! 4. **Weights** are normalised to sum to 1: `w_k = weight_k / Σ weight`.
//! 5. **Score** `S_a = Σ_k w_k·z_ak`, a weighted mean z-score (0 = the average area; higher =
//!    higher need). The contribution of indicator *k* is exactly `c_ak = w_k·z_ak`, so
//!    `Σ_k c_ak = S_a` up to floating-point rounding of the sum (≤ 1e-12 in practice).
//!
//! **Missing values.** A missing indicator contributes 0, which is the same as assuming the
//! average (mean) value after z-scoring, and the area's `note` and the indicator's `reason` say
//! so. An area is scored only when the indicators it has data for carry at least
//! `min_weight_share` of the total weight (default 0.75); otherwise `score`, `rank` and
//! `decile` are `None` and the note says which indicators were missing. This keeps a score from
//! resting on a small part of the model while not dropping areas for one suppressed cell.
//!
//! **Where it breaks.** z-scores assume that differences are meaningful on the value scale; a
//! single extreme area inflates `sd_k` and so shrinks every other area's z on that indicator.
//! Small denominators give noisy values; `min_denominator` and (in later model formats)
//! shrinkage and Monte Carlo rank intervals address this. The score is relative to the areas in
//! the table: scoring a different set of areas changes means, standard deviations and the
//! reference.
//!
//! **Ranks and deciles.** Rank 1 is the highest score (highest need); equal scores are ordered
//! by area code ascending, so ranks are a deterministic permutation of 1..N over the scored
//! areas. Deciles follow the PHE quantile rule (PHEindicatormethods `phe_quantile`, "Assigning
//! deprivation categories"): with min-rank ties on the score (highest score = rank 1) and N
//! scored areas, `decile = floor(11 − ceiling((N + 1 − rank)/(N/10)))`, 0 mapped to 1; decile 1
//! holds the 10 % highest need; when N < 10 no decile is given to any area.
//!
//! Scoring is a pure function of the model and the table: the same input gives bit-identical
//! output (all sums run in a fixed order).

mod builtin;
mod error;
pub mod offline;
pub(crate) mod plan;
mod score;
mod spec;
mod uncertainty;

use serde::{Deserialize, Serialize};

pub use builtin::{DEFAULT_MODEL, builtin_names, builtin_text};
pub use error::ModelError;
pub use uncertainty::{DEFAULT_TOP_K, DrawOptions, RankUncertainty, UncertainScoreTable};

use crate::geo::Level;

/// A validated index model (parsed from TOML, then validated into types the kernel takes).
#[derive(Debug, Clone, PartialEq)]
pub struct ModelSpec {
    name: String,
    version: String,
    title: String,
    description: String,
    levels: Vec<Level>,
    indicators: Vec<IndicatorSpec>,
    reference_label: String,
    min_weight_share: f64,
    pub(crate) leaf_inputs: Vec<LeafInput>,
    pub(crate) plan: plan::Plan,
    pub(crate) population_column: Option<String>,
    pub(crate) output_missing: Option<f64>,
    pub(crate) input_missing: Option<f64>,
}

/// Where an indicator's values come from and how they are drawn (model-file keys `column`,
/// `denominator_column`, `se_column`, `se_divisor`, `shrinkage`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LeafInput {
    /// CSV column of the numerator (or the value), for offline scoring.
    pub(crate) column: String,
    /// CSV column of the denominator, for offline scoring.
    pub(crate) denominator_column: Option<String>,
    /// Input column holding a standard error (or margin of error) of the value.
    pub(crate) se_column: Option<String>,
    /// Divides `se_column` to get the standard error (1.645 for ACS 90 % margins of error).
    pub(crate) se_divisor: f64,
    /// Empirical-Bayes shrinkage (`shrinkage = "table"` or `"parent"`), if any.
    pub(crate) shrink: Option<Shrinkage>,
}

/// Toward what an indicator's proportions are shrunk (model-file key `shrinkage`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shrinkage {
    /// Toward the pooled value of all areas scored.
    Table,
    /// Toward the pooled (or observed) value of each area's parent ([`ParentLevel`]).
    Parent,
}

impl ModelSpec {
    /// Parses and validates a model file.
    ///
    /// `source_name` (a path or model name) is only used in error messages. Errors name the key
    /// and the 1-based line: unknown keys, values of the wrong type, unknown levels, kinds,
    /// directions and domains, non-positive weights, duplicate indicators.
    pub fn from_toml(source_name: &str, text: &str) -> Result<ModelSpec, ModelError> {
        spec::parse(source_name, text)
    }

    /// The model's name, e.g. `rm-health-inequality-v0`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The model's version, e.g. `0.1.0`.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// A one-line title.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// The description from the file: sources, choice of indicators and weights.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The levels the model may rank.
    pub fn levels(&self) -> &[Level] {
        &self.levels
    }

    /// The model's indicators, in file order.
    pub fn indicators(&self) -> &[IndicatorSpec] {
        &self.indicators
    }

    /// How reasons name the reference (pooled) value, e.g. `in the region`.
    pub fn reference_label(&self) -> &str {
        &self.reference_label
    }

    /// The share of the total weight that must have data for an area to be scored, in (0, 1].
    pub fn min_weight_share(&self) -> f64 {
        self.min_weight_share
    }

    /// Deterministic scoring of every area in `input`; see the [module docs](self) for the method.
    ///
    /// `input` is an `&IndicatorTable`, or a [`ScoringInput`] that also carries the areas'
    /// [`ParentLevel`] (needed by indicators with `shrinkage = "parent"`; without it they shrink
    /// toward the pooled value of the table). Columns for indicators the model does not use are
    /// ignored. Errors: a model indicator
    /// without a column, duplicate columns or area codes, columns of the wrong length, and
    /// impossible cells (negative or non-finite numbers, a proportion's numerator above its
    /// denominator).
    pub fn score<'a>(&self, input: impl Into<ScoringInput<'a>>) -> Result<ScoreTable, ModelError> {
        Ok(score::evaluate(self, input.into())?.scores)
    }

    /// The scores, ranks and deciles of [`ModelSpec::score`] without contributions and reasons:
    /// the same numbers, computed without building a string per area and indicator (for long
    /// rankings where only the top areas are explained, and for benchmarks).
    pub fn score_values<'a>(
        &self,
        input: impl Into<ScoringInput<'a>>,
    ) -> Result<ScoreValues, ModelError> {
        score::score_values(self, input.into())
    }

    /// Like [`ModelSpec::score`], plus the model's named output columns (`[output] columns` in
    /// the file; e.g. SVI's `EPL_*`, `RPL_THEMES`, `F_TOTAL`).
    pub fn evaluate<'a>(
        &self,
        input: impl Into<ScoringInput<'a>>,
    ) -> Result<Evaluation, ModelError> {
        score::evaluate(self, input.into())
    }

    /// Whether an indicator shrinks toward parent areas (`shrinkage = "parent"`), so that
    /// callers know to pass a [`ParentLevel`].
    pub fn uses_parent_level(&self) -> bool {
        self.leaf_inputs
            .iter()
            .any(|l| l.shrink == Some(Shrinkage::Parent))
    }

    /// Names of the output columns [`ModelSpec::evaluate`] returns, in order.
    pub fn output_columns(&self) -> Vec<&str> {
        self.plan
            .outputs
            .iter()
            .map(|&o| self.plan.names[o].as_str())
            .collect()
    }

    /// The number written for a missing value in output files (`model.output_missing`, e.g. −999
    /// for CDC SVI); `None` means an empty cell.
    pub fn output_missing(&self) -> Option<f64> {
        self.output_missing
    }

    /// The input value that means "missing" (`model.input_missing`, e.g. −999 for CDC SVI).
    pub fn input_missing(&self) -> Option<f64> {
        self.input_missing
    }

    /// The input column whose zero excludes an area from ranking (`model.population`).
    pub fn population_column(&self) -> Option<&str> {
        self.population_column.as_deref()
    }

    /// The name of the node that is ranked (`score` for shorthand models).
    pub fn score_node(&self) -> &str {
        &self.plan.names[self.plan.score]
    }

    /// The input columns an offline CSV must provide besides `area_code`, in order: per
    /// indicator its numerator/value column and (proportions and rates) its denominator column,
    /// then standard-error columns and the population column.
    pub fn input_columns(&self) -> Vec<String> {
        let mut cols: Vec<String> = Vec::new();
        for li in &self.leaf_inputs {
            cols.push(li.column.clone());
            if let Some(d) = &li.denominator_column {
                cols.push(d.clone());
            }
        }
        for li in &self.leaf_inputs {
            if let Some(se) = &li.se_column
                && !cols.contains(se)
            {
                cols.push(se.clone());
            }
        }
        if let Some(p) = &self.population_column
            && !cols.contains(p)
        {
            cols.push(p.clone());
        }
        cols
    }
}

/// The result of [`ModelSpec::score_values`]: one entry per input area, in input order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreValues {
    /// Scores (`None` = not scored).
    pub score: Vec<Option<f64>>,
    /// Ranks (1 = highest need; ties by area code).
    pub rank: Vec<Option<u32>>,
    /// PHE deciles (1 = the 10 % highest need; `None` for all when fewer than 10 are scored).
    pub decile: Vec<Option<u8>>,
}

/// The result of [`ModelSpec::evaluate`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Scores, ranks, deciles and contributions.
    pub scores: ScoreTable,
    /// The model's named output columns, each with one value per input area (input order).
    pub columns: Vec<OutputColumn>,
}

/// One named output column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputColumn {
    /// Column name, e.g. `RPL_THEMES`.
    pub name: String,
    /// Values in input order; `None` = missing (or the area is excluded).
    pub values: Vec<Option<f64>>,
}

/// One indicator of a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndicatorSpec {
    /// Indicator id, as in the indicator registry and the input table, e.g. `copd_prevalence`.
    pub id: String,
    /// Human label used in reasons, e.g. `COPD prevalence`.
    pub label: String,
    /// Display unit: `%` for proportions, `per 1,000` for rates per 1,000, …
    pub unit: String,
    /// What the numerator and denominator mean.
    pub kind: IndicatorKind,
    /// Which end of the scale is worse.
    pub direction: Direction,
    /// Weight as declared in the file (> 0); scoring uses `weight / Σ weight`.
    pub weight: f64,
    /// Domain id, e.g. `social`, `health`, `health_behaviour`.
    pub domain: String,
    /// Denominators below this make the area's value missing for this indicator.
    pub min_denominator: f64,
    /// Decimals shown for values in reasons (default 1).
    pub decimals: u8,
}

/// What an indicator's numerator and denominator mean.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IndicatorKind {
    /// Persons with the attribute / persons at risk; displayed in percent.
    Proportion,
    /// Events / persons, displayed per `per` persons (e.g. 1,000).
    Rate {
        /// Multiplier for display, e.g. 1000 for "per 1,000".
        per: f64,
    },
    /// A plain count (numerator only).
    Count,
    /// A value already in display units (numerator only), e.g. a mean or a published percentage.
    Value,
}

impl IndicatorKind {
    /// Whether the value is a ratio of numerator to denominator.
    pub fn uses_denominator(self) -> bool {
        matches!(self, IndicatorKind::Proportion | IndicatorKind::Rate { .. })
    }

    /// Factor from numerator/denominator to display units (100 for proportions).
    pub fn scale(self) -> f64 {
        match self {
            IndicatorKind::Proportion => 100.0,
            IndicatorKind::Rate { per } => per,
            IndicatorKind::Count | IndicatorKind::Value => 1.0,
        }
    }
}

/// Which end of an indicator's scale means more need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// A higher value means more need (e.g. COPD prevalence).
    HigherIsWorse,
    /// A higher value means less need (e.g. employment rate).
    HigherIsBetter,
}

impl Direction {
    /// `+1` for [`Direction::HigherIsWorse`], `−1` for [`Direction::HigherIsBetter`].
    pub fn sign(self) -> f64 {
        match self {
            Direction::HigherIsWorse => 1.0,
            Direction::HigherIsBetter => -1.0,
        }
    }
}

/// Input: one row per area, one column per indicator (the model's indicators, any order).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IndicatorTable {
    /// Area codes, one per row.
    pub area_codes: Vec<String>,
    /// One column per indicator; each vector has one entry per area.
    pub columns: Vec<IndicatorColumn>,
}

/// The parent level of the areas of an [`IndicatorTable`] (a parish's or housing area's
/// municipality), for indicators with `shrinkage = "parent"`: each such proportion is shrunk
/// toward its parent's value instead of the value of the whole table.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ParentLevel {
    /// Parent code of each area, aligned with [`IndicatorTable::area_codes`] (`None`: unknown;
    /// such areas are pooled together, which is table shrinkage when no area has a parent).
    pub parent_codes: Vec<Option<String>>,
    /// The parents' own observed values, where known; a parent without one gets the pooled
    /// value of its areas in the table (Σ numerators / Σ denominators).
    #[serde(default)]
    pub observed: Vec<ParentValue>,
}

/// A parent area's own observed numerator and denominator for one indicator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParentValue {
    /// The parent's code (as in [`ParentLevel::parent_codes`]).
    pub parent_code: String,
    /// Indicator id.
    pub indicator: String,
    /// Numerator (persons with the attribute).
    pub numerator: f64,
    /// Denominator (persons at risk; > 0).
    pub denominator: f64,
}

/// What a scoring runs on: the indicator table and, optionally, the areas' parent level. Every
/// scoring method takes `impl Into<ScoringInput>`, so `&IndicatorTable` works as before.
#[derive(Debug, Clone, Copy)]
pub struct ScoringInput<'a> {
    /// The areas and their indicator values.
    pub table: &'a IndicatorTable,
    /// The areas' parents, for `shrinkage = "parent"`.
    pub parents: Option<&'a ParentLevel>,
}

impl<'a> ScoringInput<'a> {
    /// An input of `table` alone.
    pub fn new(table: &'a IndicatorTable) -> Self {
        ScoringInput {
            table,
            parents: None,
        }
    }

    /// The same input with the areas' parent level.
    pub fn with_parents(self, parents: &'a ParentLevel) -> Self {
        ScoringInput {
            parents: Some(parents),
            ..self
        }
    }
}

impl<'a> From<&'a IndicatorTable> for ScoringInput<'a> {
    fn from(table: &'a IndicatorTable) -> Self {
        ScoringInput::new(table)
    }
}

/// One indicator's numerators and denominators, aligned with [`IndicatorTable::area_codes`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IndicatorColumn {
    /// Indicator id.
    pub indicator: String,
    /// Numerators (`None` = missing or suppressed).
    pub numerator: Vec<Option<f64>>,
    /// Denominators (`None` = missing; ignored for counts and plain values).
    pub denominator: Vec<Option<f64>>,
}

/// Output rows in the same order as the input.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScoreTable {
    /// One row per input area, in input order.
    pub rows: Vec<AreaScore>,
}

/// The score of one area.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AreaScore {
    /// The area's code.
    pub area_code: String,
    /// The score; `None` when the area cannot be scored (`note` says why).
    pub score: Option<f64>,
    /// 1 = highest need; ties broken by area code ascending (deterministic).
    pub rank: Option<u32>,
    /// 1 = the 10 % highest need; PHE quantile rule (ties by min rank; `None` for all when N < 10).
    pub decile: Option<u8>,
    /// One per model indicator, sorted by |contribution| descending, then indicator id.
    pub contributions: Vec<Contribution>,
    /// Why the area is not scored, or which indicators were missing.
    pub note: Option<String>,
}

/// One indicator's part in an area's score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contribution {
    /// Indicator id.
    pub indicator: String,
    /// Indicator label.
    pub label: String,
    /// The area's value in display units (e.g. 41.2 for 41.2 %; per 1,000 for rates).
    pub value: Option<f64>,
    /// The pooled value over all areas of the table (Σnum/Σden), same units.
    pub reference: Option<f64>,
    /// This indicator's exact additive share of `score` (0 when the value is missing or the area
    /// is not scored).
    pub contribution: f64,
    /// Plain words, e.g. "COPD prevalence 8.1 % vs 5.0 % in the region (1.6×)".
    pub reason: String,
}

/// Re-rank a subset (a health council's municipalities, …): rank 1..n by score desc, ties by
/// area code asc; areas without a score get no rank; deciles are left as computed on the full
/// table.
pub fn rerank(rows: &mut [AreaScore]) {
    let mut order: Vec<usize> = (0..rows.len())
        .filter(|&i| rows[i].score.is_some())
        .collect();
    order.sort_by(|&a, &b| {
        score::cmp_need(
            rows[a].score,
            &rows[a].area_code,
            rows[b].score,
            &rows[b].area_code,
        )
    });
    for row in rows.iter_mut() {
        row.rank = None;
    }
    for (pos, &i) in order.iter().enumerate() {
        rows[i].rank = Some(u32::try_from(pos + 1).unwrap_or(u32::MAX));
    }
}
