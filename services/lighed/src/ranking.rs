//! The rank use case, shared by the gRPC API and the CLI: validate the request, read the latest
//! values of the model's indicators for a level, score every area of the level in the region,
//! restrict to the scope, re-rank within it, record the run.

use std::collections::BTreeMap;

use lighed_core::geo::Level;
use lighed_core::model::{
    AreaScore, Contribution, IndicatorColumn, IndicatorTable, ParentLevel, ParentValue,
    ScoringInput, rerank,
};
use lighed_store::{AreaRow, NewRun};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::AppError;
use crate::state::AppState;

/// Largest accepted `top_n`.
pub const MAX_TOP_N: u32 = 10_000;

/// Where a ranking is restricted to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeRequest {
    /// The whole region.
    Region,
    /// A health council, by code (`SR-VEST`) or id (`vest`), case-insensitive.
    Council(String),
    /// A municipality, by code (`657`).
    Municipality(String),
}

/// A rank request as it arrives (unvalidated).
#[derive(Debug, Clone)]
pub struct RankRequest {
    /// Model name; `None` or empty = the default model.
    pub model: Option<String>,
    /// Level name.
    pub level: String,
    /// Scope.
    pub scope: ScopeRequest,
    /// How many areas to return; `None` = all.
    pub top_n: Option<u32>,
    /// Monte Carlo draws for rank uncertainty; `None` = point ranking only.
    pub draws: Option<u32>,
    /// Seed of the draws (default [`DEFAULT_SEED`]).
    pub seed: Option<u64>,
}

/// Largest accepted number of draws.
pub const MAX_DRAWS: u32 = 100_000;
/// Seed used when draws are asked for without one.
pub const DEFAULT_SEED: u64 = 1;

/// Rank uncertainty of one area (regional ranks), from the Monte Carlo draws.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Uncertainty {
    /// Median regional rank over the draws.
    pub rank_median: Option<u32>,
    /// 5 % quantile of the regional rank.
    pub rank_p05: Option<u32>,
    /// 95 % quantile of the regional rank.
    pub rank_p95: Option<u32>,
    /// Share of draws in the regional top k.
    pub p_top_k: Option<f64>,
    /// Share of draws in regional decile 1.
    pub p_top_decile: Option<f64>,
    /// Group of statistically indistinguishable areas.
    pub tie_group: Option<u32>,
}

/// How the uncertainty was computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DrawInfo {
    /// Draws run.
    pub draws: u32,
    /// Seed.
    pub seed: u64,
    /// k of `p_top_k`.
    pub top_k: u32,
}

/// Who asks and through which door (recorded with every run).
#[derive(Debug, Clone)]
pub struct Caller {
    /// The principal (authenticated token name, or `cli:<user>`).
    pub principal: String,
    /// `grpc` or `cli`.
    pub channel: &'static str,
}

/// One reason: an indicator contribution in plain words.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reason {
    /// Indicator id.
    pub indicator: String,
    /// Indicator label.
    pub label: String,
    /// The area's value.
    pub value: Option<f64>,
    /// The regional value.
    pub reference: Option<f64>,
    /// Display unit.
    pub unit: String,
    /// Additive share of the score.
    pub contribution: f64,
    /// Plain words.
    pub text: String,
}

/// One ranked area.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RankedRow {
    /// Area code.
    pub area_code: String,
    /// Area name.
    pub area_name: String,
    /// Level.
    pub level: String,
    /// Score (higher = more need).
    pub score: Option<f64>,
    /// Rank within the scope (1 = highest need).
    pub rank: Option<u32>,
    /// Rank within the region.
    pub region_rank: Option<u32>,
    /// Regional decile (1 = highest need).
    pub decile: Option<u8>,
    /// Latest population.
    pub population: Option<i64>,
    /// The three largest contributions.
    pub reasons: Vec<Reason>,
    /// Every indicator's contribution, largest first (they sum to the score).
    pub contributions: Vec<Reason>,
    /// Note (missing indicators, why not scored).
    pub note: Option<String>,
    /// Rank uncertainty, when draws were asked for.
    pub uncertainty: Option<Uncertainty>,
}

/// A ranking with its provenance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ranking {
    /// Model name.
    pub model: String,
    /// Model version.
    pub model_version: String,
    /// Data version (digest of the active datasets).
    pub data_version: String,
    /// Level ranked.
    pub level: String,
    /// Scope as recorded (`region`, `council:SR-VEST`, `municipality:657`).
    pub scope: String,
    /// The period used for each indicator (latest available at this level).
    pub periods: BTreeMap<String, String>,
    /// Areas in scope before `top_n`.
    pub total_in_scope: u32,
    /// The ranked rows, rank 1 first; unscored areas last, by code.
    pub rows: Vec<RankedRow>,
    /// The recorded run.
    pub run_id: i64,
    /// Draws, seed and k, when draws were asked for.
    pub draws: Option<DrawInfo>,
}

/// The area an area shrinks toward: its municipality, or for a municipality (its own
/// municipality) the area directly above.
fn parent_code_of(a: &AreaRow) -> Option<String> {
    a.municipality_code
        .clone()
        .filter(|m| *m != a.code)
        .or_else(|| a.parent_code.clone())
}

/// The areas' parent level, for models that shrink toward parent areas (`shrinkage =
/// "parent"`): a parish's or housing area's municipality, a municipality's health council (the
/// area directly above). Where the parent level has its own value of an indicator for the
/// period used, it is passed as the parent's observed value; otherwise the core pools the
/// parent's areas.
async fn parent_level(
    state: &AppState,
    model: &lighed_core::model::ModelSpec,
    level: Level,
    areas: &[AreaRow],
    periods: &BTreeMap<String, String>,
) -> Result<ParentLevel, AppError> {
    let parent_codes: Vec<Option<String>> = areas.iter().map(parent_code_of).collect();
    let parent_level = match level {
        Level::Parish | Level::HousingArea => Some(Level::Municipality),
        Level::Municipality => Some(Level::Council),
        Level::Council | Level::Region => None,
    };
    let mut observed: BTreeMap<(String, String), ParentValue> = BTreeMap::new();
    if let (true, Some(pl)) = (model.uses_parent_level(), parent_level) {
        let codes: std::collections::BTreeSet<&str> =
            parent_codes.iter().flatten().map(String::as_str).collect();
        // Rows are ordered by dataset id within a key, so a newer dataset overrides an older one.
        for v in state.store.level_values(pl).await? {
            let (Some(x), Some(d)) = (v.numerator, v.denominator) else {
                continue;
            };
            let usable = x.is_finite() && d.is_finite() && x >= 0.0 && d > 0.0 && x <= d;
            if usable
                && periods.get(&v.indicator) == Some(&v.period)
                && codes.contains(v.area_code.as_str())
            {
                observed.insert(
                    (v.area_code.clone(), v.indicator.clone()),
                    ParentValue {
                        parent_code: v.area_code,
                        indicator: v.indicator,
                        numerator: x,
                        denominator: d,
                    },
                );
            }
        }
    }
    Ok(ParentLevel {
        parent_codes,
        observed: observed.into_values().collect(),
    })
}

/// Validates `req`, computes the ranking and records the run.
pub async fn rank(
    state: &AppState,
    req: &RankRequest,
    caller: &Caller,
) -> Result<Ranking, AppError> {
    let level: Level = req
        .level
        .parse()
        .map_err(|e: lighed_core::geo::UnknownLevel| AppError::invalid("level", e.to_string()))?;
    let model_name = match req.model.as_deref() {
        None | Some("") => state.catalog.default_model().to_owned(),
        Some(m) => m.to_owned(),
    };
    let model = state.catalog.get(&model_name).ok_or_else(|| {
        let known: Vec<&str> = state.catalog.models().iter().map(|m| m.name()).collect();
        AppError::invalid(
            "model",
            format!(
                "unknown model '{model_name}'; known models: {}",
                known.join(", ")
            ),
        )
    })?;
    if !model.levels().contains(&level) {
        let levels: Vec<&str> = model.levels().iter().map(|l| l.as_str()).collect();
        return Err(AppError::invalid(
            "level",
            format!(
                "model '{}' does not rank level '{}'; it ranks: {}",
                model.name(),
                level,
                levels.join(", ")
            ),
        ));
    }
    if let Some(n) = req.top_n
        && !(1..=MAX_TOP_N).contains(&n)
    {
        return Err(AppError::invalid(
            "top_n",
            format!("must be between 1 and {MAX_TOP_N}, got {n}"),
        ));
    }
    if let Some(d) = req.draws
        && !(1..=MAX_DRAWS).contains(&d)
    {
        return Err(AppError::invalid(
            "draws",
            format!("must be between 1 and {MAX_DRAWS}, got {d}"),
        ));
    }
    if req.seed.is_some() && req.draws.is_none() {
        return Err(AppError::invalid("seed", "a seed needs draws (--draws N)"));
    }
    let scope = resolve_scope(state, &req.scope).await?;

    let areas = state.store.areas(Some(level)).await?;
    let data_version = state.store.data_version().await?;
    let values = state.store.level_values(level).await?;

    // The latest period of each indicator at this level, and its values.
    let wanted: Vec<&str> = model.indicators().iter().map(|i| i.id.as_str()).collect();
    let mut periods: BTreeMap<String, String> = BTreeMap::new();
    for v in &values {
        if wanted.contains(&v.indicator.as_str()) {
            let p = periods.entry(v.indicator.clone()).or_default();
            if v.period > *p {
                *p = v.period.clone();
            }
        }
    }
    let absent: Vec<&str> = wanted
        .iter()
        .copied()
        .filter(|w| !periods.contains_key(*w))
        .collect();
    if !absent.is_empty() {
        return Err(AppError::invalid(
            "model",
            format!(
                "model '{}' needs indicators that the active datasets do not have at level '{}': {}; \
                 import them, or score the model offline on a CSV file with `lighed score`",
                model.name(),
                level,
                absent.join(", ")
            ),
        ));
    }
    let index: BTreeMap<&str, usize> = areas
        .iter()
        .enumerate()
        .map(|(i, a)| (a.code.as_str(), i))
        .collect();
    let mut columns: Vec<IndicatorColumn> = wanted
        .iter()
        .map(|id| IndicatorColumn {
            indicator: (*id).to_owned(),
            numerator: vec![None; areas.len()],
            denominator: vec![None; areas.len()],
        })
        .collect();
    // Rows are ordered by dataset id within a key, so a newer dataset overrides an older one.
    for v in &values {
        let Some(col) = wanted.iter().position(|w| *w == v.indicator) else {
            continue;
        };
        if periods.get(&v.indicator) != Some(&v.period) {
            continue;
        }
        if let Some(&row) = index.get(v.area_code.as_str()) {
            columns[col].numerator[row] = v.numerator;
            columns[col].denominator[row] = v.denominator;
        }
    }
    let table = IndicatorTable {
        area_codes: areas.iter().map(|a| a.code.clone()).collect(),
        columns,
    };
    let parents = parent_level(state, model, level, &areas, &periods).await?;
    let input = ScoringInput::new(&table).with_parents(&parents);
    let model_failed = |e: lighed_core::model::ModelError| {
        AppError::Internal(format!("model {} failed on stored data: {e}", model.name()))
    };
    let (scored, uncertainty, draw_info) = match req.draws {
        None => (model.score(input).map_err(model_failed)?, None, None),
        Some(draws) => {
            let opts = lighed_core::model::DrawOptions {
                draws,
                seed: req.seed.unwrap_or(DEFAULT_SEED),
                top_k: req.top_n.unwrap_or(lighed_core::model::DEFAULT_TOP_K),
            };
            let u = model
                .score_with_uncertainty(input, &opts)
                .map_err(model_failed)?;
            let info = DrawInfo {
                draws: u.draws,
                seed: u.seed,
                top_k: u.top_k,
            };
            (u.scores, Some(u.uncertainty), Some(info))
        }
    };
    let mut uncertainty = uncertainty.map(|v| v.into_iter());

    let mut in_scope: Vec<(AreaScore, &AreaRow, Option<Uncertainty>)> = scored
        .rows
        .into_iter()
        .zip(areas.iter())
        .map(|(s, a)| {
            let u = uncertainty
                .as_mut()
                .and_then(|it| it.next())
                .map(|u| Uncertainty {
                    rank_median: u.rank_median,
                    rank_p05: u.rank_p05,
                    rank_p95: u.rank_p95,
                    p_top_k: u.p_top_k,
                    p_top_decile: u.p_top_decile,
                    tie_group: u.tie_group,
                });
            (s, a, u)
        })
        .filter(|(_, a, _)| scope.contains(a))
        .collect();
    let region_ranks: Vec<Option<u32>> = in_scope.iter().map(|(s, _, _)| s.rank).collect();
    let mut scores: Vec<AreaScore> = in_scope.iter().map(|(s, _, _)| s.clone()).collect();
    rerank(&mut scores);
    for ((slot, _, _), s) in in_scope.iter_mut().zip(scores) {
        *slot = s;
    }
    let mut rows: Vec<RankedRow> = in_scope
        .iter()
        .zip(region_ranks)
        .map(|((s, a, u), region_rank)| RankedRow {
            area_code: a.code.clone(),
            area_name: a.name.clone(),
            level: a.level.clone(),
            score: s.score,
            rank: s.rank,
            region_rank,
            decile: s.decile,
            population: a.population,
            reasons: largest_contributions(&s.contributions, 3)
                .into_iter()
                .map(|c| reason(c, model))
                .collect(),
            contributions: largest_contributions(&s.contributions, usize::MAX)
                .into_iter()
                .map(|c| reason(c, model))
                .collect(),
            note: s.note.clone(),
            uncertainty: u.clone(),
        })
        .collect();
    rows.sort_by(|a, b| match (a.rank, b.rank) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.area_code.cmp(&b.area_code),
    });
    let total_in_scope = u32::try_from(rows.len()).unwrap_or(u32::MAX);
    if let Some(n) = req.top_n {
        rows.truncate(n as usize);
    }

    let mut ranking = Ranking {
        model: model.name().to_owned(),
        model_version: model.version().to_owned(),
        data_version: data_version.version.clone(),
        level: level.as_str().to_owned(),
        scope: scope.label(),
        periods,
        total_in_scope,
        rows,
        run_id: 0,
        draws: draw_info,
    };
    let digest = hex::encode(Sha256::digest(
        serde_json::to_vec(&ranking.rows).map_err(|e| AppError::Internal(e.to_string()))?,
    ));
    ranking.run_id = state
        .store
        .record_run(&NewRun {
            model_name: ranking.model.clone(),
            model_version: ranking.model_version.clone(),
            level: ranking.level.clone(),
            scope: ranking.scope.clone(),
            data_version: data_version.version,
            dataset_ids: data_version_ids(&data_version.dataset_ids),
            requested_by: caller.principal.clone(),
            channel: caller.channel.to_owned(),
            row_count: i64::from(total_in_scope),
            result_sha256: digest,
        })
        .await?;
    tracing::info!(model = %ranking.model, level = %ranking.level, scope = %ranking.scope, data_version = %ranking.data_version, run_id = ranking.run_id, "ranked areas");
    Ok(ranking)
}

/// The `n` largest contributions (most need first; ties by indicator id). For a high-need area
/// these are what pushes it up; for a low-need area, what pushes it down least.
fn largest_contributions(cs: &[Contribution], n: usize) -> Vec<&Contribution> {
    let mut v: Vec<&Contribution> = cs.iter().collect();
    v.sort_by(|a, b| {
        b.contribution
            .total_cmp(&a.contribution)
            .then_with(|| a.indicator.cmp(&b.indicator))
    });
    v.truncate(n);
    v
}

fn data_version_ids(ids: &[i64]) -> String {
    ids.iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

fn reason(c: &Contribution, model: &lighed_core::model::ModelSpec) -> Reason {
    let unit = model
        .indicators()
        .iter()
        .find(|i| i.id == c.indicator)
        .map(|i| i.unit.clone())
        .unwrap_or_default();
    Reason {
        indicator: c.indicator.clone(),
        label: c.label.clone(),
        value: c.value,
        reference: c.reference,
        unit,
        contribution: c.contribution,
        text: c.reason.clone(),
    }
}

/// A validated scope.
#[derive(Debug, Clone)]
pub(crate) enum Scope {
    Region,
    Council(String),
    Municipality(String),
}

impl Scope {
    pub(crate) fn contains(&self, a: &AreaRow) -> bool {
        match self {
            Scope::Region => true,
            Scope::Council(c) => a.council_code.as_deref() == Some(c),
            Scope::Municipality(m) => a.municipality_code.as_deref() == Some(m),
        }
    }

    fn label(&self) -> String {
        match self {
            Scope::Region => "region".into(),
            Scope::Council(c) => format!("council:{c}"),
            Scope::Municipality(m) => format!("municipality:{m}"),
        }
    }
}

pub(crate) async fn resolve_scope(
    state: &AppState,
    scope: &ScopeRequest,
) -> Result<Scope, AppError> {
    match scope {
        ScopeRequest::Region => Ok(Scope::Region),
        ScopeRequest::Council(name) => {
            let name = name.trim();
            if name.is_empty() {
                return Err(AppError::invalid("council", "must not be empty"));
            }
            let councils = state.store.areas(Some(Level::Council)).await?;
            councils
                .iter()
                .find(|c| {
                    c.code.eq_ignore_ascii_case(name)
                        || c.alias
                            .as_deref()
                            .is_some_and(|a| a.eq_ignore_ascii_case(name))
                        || c.name.eq_ignore_ascii_case(name)
                })
                .map(|c| Scope::Council(c.code.clone()))
                .ok_or_else(|| {
                    let known: Vec<String> = councils
                        .iter()
                        .map(|c| format!("{} ({})", c.alias.as_deref().unwrap_or(&c.code), c.name))
                        .collect();
                    AppError::not_found(
                        "council",
                        format!("no health council '{name}'; known: {}", known.join(", ")),
                    )
                })
        }
        ScopeRequest::Municipality(code) => {
            let code = code.trim();
            if code.is_empty() {
                return Err(AppError::invalid("municipality", "must not be empty"));
            }
            match state.store.area(code).await? {
                Some(a) if a.level() == Some(Level::Municipality) => {
                    Ok(Scope::Municipality(a.code))
                }
                Some(a) => Err(AppError::invalid(
                    "municipality",
                    format!("area {code} is a {}, not a municipality", a.level),
                )),
                None => Err(AppError::not_found(
                    "municipality",
                    format!("no municipality with code '{code}' in the region"),
                )),
            }
        }
    }
}

/// Explains one area: ranks its level over the whole region with `model` and returns the
/// ranking's provenance with the area's row (every contribution included).
pub async fn explain(
    state: &AppState,
    model: Option<String>,
    area_code: &str,
    caller: &Caller,
) -> Result<(Ranking, RankedRow), AppError> {
    let code = area_code.trim();
    if code.is_empty() {
        return Err(AppError::invalid("area_code", "is required"));
    }
    let area =
        state.store.area(code).await?.ok_or_else(|| {
            AppError::not_found("area_code", format!("no area with code '{code}'"))
        })?;
    let req = RankRequest {
        model,
        level: area.level.clone(),
        scope: ScopeRequest::Region,
        top_n: None,
        draws: None,
        seed: None,
    };
    let ranking = rank(state, &req, caller).await?;
    let row = ranking
        .rows
        .iter()
        .find(|r| r.area_code == area.code)
        .cloned()
        .ok_or_else(|| {
            AppError::Internal(format!("area {} missing from its ranking", area.code))
        })?;
    Ok((ranking, row))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn area(code: &str, level: &str, parent: Option<&str>, municipality: Option<&str>) -> AreaRow {
        AreaRow {
            code: code.to_owned(),
            name: code.to_owned(),
            level: level.to_owned(),
            alias: None,
            parent_code: parent.map(str::to_owned),
            municipality_code: municipality.map(str::to_owned),
            council_code: None,
            population: None,
            lon: None,
            lat: None,
        }
    }

    /// Parishes and housing areas shrink toward their municipality (even when the area directly
    /// above is something else), municipalities toward the area above them.
    #[test]
    fn parents_for_shrinkage() {
        let parish = area("7240", "parish", Some("657"), Some("657"));
        assert_eq!(parent_code_of(&parish).as_deref(), Some("657"));
        let housing = area("657-B01", "housing_area", Some("7240"), Some("657"));
        assert_eq!(parent_code_of(&housing).as_deref(), Some("657"));
        let municipality = area("657", "municipality", Some("SR-VEST"), Some("657"));
        assert_eq!(parent_code_of(&municipality).as_deref(), Some("SR-VEST"));
        let orphan = area("9999", "parish", None, None);
        assert_eq!(parent_code_of(&orphan), None);
    }
}
