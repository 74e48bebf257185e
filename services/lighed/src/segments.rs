//! The citizen-segment use case behind `SegmentService`: list the shipped definitions with their
//! stored aggregates, and score area × segment cells from a stored aggregate dataset — protected
//! by `lighed_segments::ProtectedRelease` over the whole table before a scope selects cells, and
//! recorded like a ranking.
//!
//! Aggregates are the long-format observations of indicator `segment_persons` written by
//! `lighed segments aggregate` (or imported as register cross-tabs). A dataset belongs to a
//! definitions file when every segment id in it is one of the file's segments.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use lighed_core::disclosure::MinCellSize;
use lighed_core::geo::Level;
use lighed_core::obs::{MissingReason, Observation};
use lighed_segments::{
    Definitions, ProtectedRelease, RankBy, SEGMENT_INDICATOR, ScoreQuery, SegmentCounts,
    SegmentScores,
};
use lighed_store::{NewRun, ObservationRow};
use sha2::{Digest, Sha256};

use crate::error::AppError;
use crate::ranking::{self, Caller, ScopeRequest};
use crate::state::AppState;

/// The definitions used when a request names none.
pub const DEFAULT_DEFINITIONS: &str = "rm-focus-groups";
/// Largest `top_n`.
pub const MAX_TOP_N: u32 = 100_000;

/// The shipped definitions, parsed once (they are validated by the tests, so a failure here is a
/// build defect, reported as an internal error).
pub fn shipped() -> Result<&'static [Definitions], AppError> {
    static DEFS: OnceLock<Result<Vec<Definitions>, String>> = OnceLock::new();
    DEFS.get_or_init(|| {
        crate::bundle::SEGMENT_DEFINITIONS
            .iter()
            .map(|(name, text)| Definitions::from_toml(name, text).map_err(|e| e.to_string()))
            .collect()
    })
    .as_deref()
    .map_err(|e| AppError::Internal(format!("shipped segment definitions: {e}")))
}

/// One definitions file and the active datasets holding aggregates for it (newest first).
#[derive(Debug, Clone)]
pub struct DefinitionsInfo {
    /// The definitions.
    pub definitions: &'static Definitions,
    /// Dataset ids, newest first.
    pub dataset_ids: Vec<i64>,
}

/// A scoring request as it arrives.
#[derive(Debug, Clone, Default)]
pub struct SegmentRequest {
    /// Definitions name (`None` = [`DEFAULT_DEFINITIONS`]).
    pub definitions: Option<String>,
    /// The aggregate dataset (`None` = the newest for the definitions).
    pub dataset_id: Option<i64>,
    /// Keep only areas of this level.
    pub level: Option<String>,
    /// Keep only areas in this council or municipality.
    pub scope: Option<ScopeRequest>,
    /// Segment ids (empty = all).
    pub segments: Vec<String>,
    /// Ranking key (`None` = excess).
    pub rank_by: Option<String>,
    /// Only the first N ranked cells.
    pub top_n: Option<u32>,
    /// Minimum cell size (`None` = 5).
    pub k: Option<u32>,
    /// Confidence level (`None` = 0.95).
    pub confidence: Option<f64>,
}

/// A scored, protected answer with its provenance.
#[derive(Debug, Clone)]
pub struct SegmentAnswer {
    /// The scores (released numbers only).
    pub scores: SegmentScores,
    /// The aggregate dataset used.
    pub dataset_id: i64,
    /// Its period.
    pub period: String,
    /// The data version at the time.
    pub data_version: String,
    /// Display names of the areas.
    pub area_names: BTreeMap<String, String>,
    /// The recorded run.
    pub run_id: i64,
}

fn find(name: &str) -> Result<&'static Definitions, AppError> {
    let all = shipped()?;
    all.iter().find(|d| d.name == name).ok_or_else(|| {
        let known: Vec<&str> = all.iter().map(|d| d.name.as_str()).collect();
        AppError::not_found(
            "definitions",
            format!(
                "no segment definitions '{name}'; known: {}",
                known.join(", ")
            ),
        )
    })
}

/// Groups the stored aggregate rows by dataset, newest first.
fn by_dataset(rows: Vec<ObservationRow>) -> BTreeMap<i64, Vec<ObservationRow>> {
    let mut m: BTreeMap<i64, Vec<ObservationRow>> = BTreeMap::new();
    for r in rows {
        m.entry(r.dataset_id).or_default().push(r);
    }
    m
}

fn belongs(rows: &[ObservationRow], defs: &Definitions) -> bool {
    let ids: BTreeSet<&str> = defs.segments.iter().map(|s| s.id.as_str()).collect();
    rows.iter()
        .filter(|r| !r.segment.is_empty())
        .all(|r| ids.contains(r.segment.as_str()))
        && rows.iter().any(|r| !r.segment.is_empty())
}

/// The shipped definitions (or the one named) with their stored aggregate datasets.
pub async fn list(state: &AppState, name: Option<&str>) -> Result<Vec<DefinitionsInfo>, AppError> {
    let defs: Vec<&'static Definitions> = match name {
        Some(n) => vec![find(n)?],
        None => shipped()?.iter().collect(),
    };
    let datasets = by_dataset(state.store.indicator_rows(SEGMENT_INDICATOR).await?);
    Ok(defs
        .into_iter()
        .map(|d| DefinitionsInfo {
            definitions: d,
            dataset_ids: datasets
                .iter()
                .rev()
                .filter(|(_, rows)| belongs(rows, d))
                .map(|(id, _)| *id)
                .collect(),
        })
        .collect())
}

fn observation(r: ObservationRow) -> Observation {
    Observation {
        missing: r.missing_reason.as_deref().and_then(MissingReason::parse),
        area_code: r.area_code,
        indicator: r.indicator,
        period: r.period,
        numerator: r.numerator,
        denominator: r.denominator,
        age_band: r.age_band,
        sex: r.sex,
        segment: r.segment,
    }
}

/// Scores the area × segment cells of a stored aggregate dataset.
pub async fn score(
    state: &AppState,
    req: &SegmentRequest,
    caller: &Caller,
) -> Result<SegmentAnswer, AppError> {
    let defs = find(req.definitions.as_deref().unwrap_or(DEFAULT_DEFINITIONS))?;
    let k = MinCellSize::new(u64::from(req.k.unwrap_or(5)))
        .map_err(|e| AppError::invalid("k", e.to_string()))?;
    let confidence = lighed_core::stats::Confidence::new(req.confidence.unwrap_or(0.95))
        .map_err(|e| AppError::invalid("confidence", e.to_string()))?;
    let rank_by = match req.rank_by.as_deref().map(str::trim) {
        None | Some("") => RankBy::default(),
        Some(s) => RankBy::parse(s).ok_or_else(|| {
            AppError::invalid(
                "rank_by",
                format!("'{s}': expected one of excess, persons, ratio, prevalence"),
            )
        })?,
    };
    if let Some(n) = req.top_n
        && !(1..=MAX_TOP_N).contains(&n)
    {
        return Err(AppError::invalid(
            "top_n",
            format!("must be between 1 and {MAX_TOP_N}, got {n}"),
        ));
    }
    let known: BTreeSet<&str> = defs.segments.iter().map(|s| s.id.as_str()).collect();
    for (i, s) in req.segments.iter().enumerate() {
        if !known.contains(s.as_str()) {
            return Err(AppError::invalid(
                &format!("segments[{i}]"),
                format!(
                    "no segment '{s}' in {}; known: {}",
                    defs.name,
                    known.iter().copied().collect::<Vec<_>>().join(", ")
                ),
            ));
        }
    }
    let level: Option<Level> = match req.level.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) => Some(s.parse().map_err(|e: lighed_core::geo::UnknownLevel| {
            AppError::invalid("level", e.to_string())
        })?),
    };
    let scope = match &req.scope {
        None => None,
        Some(s) => Some(ranking::resolve_scope(state, s).await?),
    };

    let data_version = state.store.data_version().await?;
    let mut datasets = by_dataset(state.store.indicator_rows(SEGMENT_INDICATOR).await?);
    let (dataset_id, rows) = match req.dataset_id {
        Some(id) => {
            let rows = datasets.remove(&id).ok_or_else(|| {
                AppError::not_found(
                    "dataset_id",
                    format!("no active dataset {id} with citizen-segment aggregates"),
                )
            })?;
            if !belongs(&rows, defs) {
                return Err(AppError::invalid(
                    "dataset_id",
                    format!(
                        "dataset {id} holds segments that are not in the definitions {}",
                        defs.name
                    ),
                ));
            }
            (id, rows)
        }
        None => datasets
            .into_iter()
            .rev()
            .find(|(_, rows)| belongs(rows, defs))
            .ok_or_else(|| {
                AppError::FailedPrecondition(format!(
                    "no active dataset holds citizen-segment aggregates for {}; store some with \
                     `lighed segments aggregate --definitions ... --input people.csv` or import \
                     register cross-tabs (indicator {SEGMENT_INDICATOR})",
                    defs.name
                ))
            })?,
    };
    let period = rows.first().map(|r| r.period.clone()).unwrap_or_default();
    let observations: Vec<Observation> = rows.into_iter().map(observation).collect();

    let areas = state.store.areas(None).await?;
    let area_names: BTreeMap<String, String> = areas
        .iter()
        .map(|a| (a.code.clone(), a.name.clone()))
        .collect();
    let scope_codes: Option<Vec<String>> = if level.is_none() && scope.is_none() {
        None
    } else {
        let in_data: BTreeSet<&str> = observations.iter().map(|o| o.area_code.as_str()).collect();
        Some(
            areas
                .iter()
                .filter(|a| in_data.contains(a.code.as_str()))
                .filter(|a| level.is_none_or(|l| a.level() == Some(l)))
                .filter(|a| scope.as_ref().is_none_or(|s| s.contains(a)))
                .map(|a| a.code.clone())
                .collect(),
        )
    };
    let query = ScoreQuery {
        scope: scope_codes,
        segments: (!req.segments.is_empty()).then(|| req.segments.clone()),
        rank_by,
        top: req.top_n.map(|n| n as usize),
        confidence,
    };
    let scores = tokio::task::spawn_blocking(move || -> Result<SegmentScores, AppError> {
        let counts = SegmentCounts::from_observations(&observations, defs)
            .map_err(|e| AppError::Internal(format!("stored segment aggregates: {e}")))?;
        let release = ProtectedRelease::new(&counts, defs, k)
            .map_err(|e| AppError::Internal(format!("disclosure control: {e}")))?;
        lighed_segments::score(&release, &query)
            .map_err(|e| AppError::invalid("segments", e.to_string()))
    })
    .await
    .map_err(|e| AppError::Internal(format!("segment scoring thread: {e}")))??;

    let digest = hex::encode(Sha256::digest(
        serde_json::to_vec(&scores).map_err(|e| AppError::Internal(e.to_string()))?,
    ));
    let scope_label = match &scope {
        None => "region".to_owned(),
        Some(ranking::Scope::Region) => "region".to_owned(),
        Some(ranking::Scope::Council(c)) => format!("council:{c}"),
        Some(ranking::Scope::Municipality(m)) => format!("municipality:{m}"),
    };
    let run_id = state
        .store
        .record_run(&NewRun {
            model_name: format!("segments:{}", defs.name),
            model_version: defs.version.clone(),
            level: level
                .map(|l| l.as_str().to_owned())
                .unwrap_or_else(|| "all".into()),
            scope: scope_label,
            data_version: data_version.version.clone(),
            dataset_ids: dataset_id.to_string(),
            requested_by: caller.principal.clone(),
            channel: caller.channel.to_owned(),
            row_count: scores.cells.len() as i64,
            result_sha256: digest,
        })
        .await?;
    Ok(SegmentAnswer {
        scores,
        dataset_id,
        period,
        data_version: data_version.version,
        area_names,
        run_id,
    })
}
