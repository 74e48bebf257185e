//! `lighed.v1.ScoringService`: models, areas, rankings.

use std::pin::Pin;

use lighed_core::geo::Level;
use tokio_stream::Stream;
use tonic::{Request, Response, Status};

use crate::api::caller_of;
use crate::error::AppError;
use crate::pb;
use crate::pb::scoring_service_server::ScoringService;
use crate::ranking::{self, RankRequest, Ranking, ScopeRequest};
use crate::state::AppState;

/// The scoring service.
#[derive(Debug, Clone)]
pub struct ScoringApi {
    state: AppState,
}

impl ScoringApi {
    /// A service over the shared state.
    pub fn new(state: AppState) -> Self {
        ScoringApi { state }
    }
}

fn rank_request(r: pb::RankAreasRequest) -> Result<RankRequest, AppError> {
    if r.level.trim().is_empty() {
        return Err(AppError::invalid("level", "is required"));
    }
    let scope = match r.scope {
        None => ScopeRequest::Region,
        Some(pb::rank_areas_request::Scope::Council(c)) => ScopeRequest::Council(c),
        Some(pb::rank_areas_request::Scope::Municipality(m)) => ScopeRequest::Municipality(m),
    };
    Ok(RankRequest {
        model: Some(r.model).filter(|m| !m.is_empty()),
        level: r.level,
        scope,
        top_n: r.top_n,
        draws: r.draws,
        seed: r.seed,
    })
}

fn reason_pb(x: &crate::ranking::Reason) -> pb::Reason {
    pb::Reason {
        indicator: x.indicator.clone(),
        label: x.label.clone(),
        value: x.value,
        reference: x.reference,
        unit: x.unit.clone(),
        contribution: x.contribution,
        text: x.text.clone(),
    }
}

/// Largest table accepted by `ScoreAreas`.
pub const MAX_SCORE_ROWS: usize = 100_000;

fn ranked_areas(r: &Ranking) -> Vec<pb::RankedArea> {
    r.rows.iter().map(|row| ranked_area(r, row)).collect()
}

fn ranked_area(r: &Ranking, row: &crate::ranking::RankedRow) -> pb::RankedArea {
    {
        pb::RankedArea {
            code: row.area_code.clone(),
            name: row.area_name.clone(),
            level: row.level.clone(),
            score: row.score,
            rank: row.rank,
            region_rank: row.region_rank,
            decile: row.decile.map(u32::from),
            population: row.population,
            reasons: row.reasons.iter().map(reason_pb).collect(),
            model: r.model.clone(),
            model_version: r.model_version.clone(),
            data_version: r.data_version.clone(),
            note: row.note.clone().unwrap_or_default(),
            rank_median: row.uncertainty.as_ref().and_then(|u| u.rank_median),
            rank_p05: row.uncertainty.as_ref().and_then(|u| u.rank_p05),
            rank_p95: row.uncertainty.as_ref().and_then(|u| u.rank_p95),
            p_top_k: row.uncertainty.as_ref().and_then(|u| u.p_top_k),
            p_top_decile: row.uncertainty.as_ref().and_then(|u| u.p_top_decile),
            tie_group: row.uncertainty.as_ref().and_then(|u| u.tie_group),
        }
    }
}

type RankStream = Pin<Box<dyn Stream<Item = Result<pb::RankedArea, Status>> + Send + 'static>>;

#[tonic::async_trait]
impl ScoringService for ScoringApi {
    async fn list_models(
        &self,
        _req: Request<pb::ListModelsRequest>,
    ) -> Result<Response<pb::ListModelsResponse>, Status> {
        let catalog = &self.state.catalog;
        let models = catalog
            .models()
            .iter()
            .map(|m| pb::ModelInfo {
                name: m.name().to_owned(),
                version: m.version().to_owned(),
                title: m.title().to_owned(),
                description: m.description().to_owned(),
                levels: m.levels().iter().map(|l| l.as_str().to_owned()).collect(),
                indicators: m
                    .indicators()
                    .iter()
                    .map(|i| pb::IndicatorInfo {
                        id: i.id.clone(),
                        label: i.label.clone(),
                        unit: i.unit.clone(),
                        direction: match i.direction {
                            lighed_core::model::Direction::HigherIsWorse => "higher_is_worse",
                            lighed_core::model::Direction::HigherIsBetter => "higher_is_better",
                        }
                        .to_owned(),
                        weight: i.weight,
                        domain: i.domain.clone(),
                    })
                    .collect(),
            })
            .collect();
        Ok(Response::new(pb::ListModelsResponse {
            models,
            default_model: catalog.default_model().to_owned(),
        }))
    }

    async fn list_areas(
        &self,
        req: Request<pb::ListAreasRequest>,
    ) -> Result<Response<pb::ListAreasResponse>, Status> {
        let r = req.into_inner();
        let areas = crate::state::list_areas(&self.state, &r.level, &r.parent).await?;
        Ok(Response::new(pb::ListAreasResponse {
            areas: areas
                .into_iter()
                .map(|a| pb::Area {
                    code: a.code,
                    name: a.name,
                    level: a.level,
                    parent_code: a.parent_code.unwrap_or_default(),
                    municipality_code: a.municipality_code.unwrap_or_default(),
                    council_code: a.council_code.unwrap_or_default(),
                    population: a.population,
                    lon: a.lon,
                    lat: a.lat,
                })
                .collect(),
        }))
    }

    async fn rank_areas(
        &self,
        req: Request<pb::RankAreasRequest>,
    ) -> Result<Response<pb::RankAreasResponse>, Status> {
        let caller = caller_of(&req);
        let r = rank_request(req.into_inner())?;
        let ranking = ranking::rank(&self.state, &r, &caller).await?;
        Ok(Response::new(pb::RankAreasResponse {
            areas: ranked_areas(&ranking),
            model: ranking.model.clone(),
            model_version: ranking.model_version.clone(),
            data_version: ranking.data_version.clone(),
            total_in_scope: ranking.total_in_scope,
            run_id: ranking.run_id,
            draws: ranking.draws.map(|d| d.draws).unwrap_or(0),
            seed: ranking.draws.map(|d| d.seed).unwrap_or(0),
            top_k: ranking.draws.map(|d| d.top_k).unwrap_or(0),
        }))
    }

    async fn explain_area(
        &self,
        req: Request<pb::ExplainAreaRequest>,
    ) -> Result<Response<pb::ExplainAreaResponse>, Status> {
        let caller = caller_of(&req);
        let r = req.into_inner();
        let model = Some(r.model).filter(|m| !m.is_empty());
        let (ranking, row) = ranking::explain(&self.state, model, &r.area_code, &caller).await?;
        Ok(Response::new(pb::ExplainAreaResponse {
            area: Some(ranked_area(&ranking, &row)),
            contributions: row.contributions.iter().map(reason_pb).collect(),
            areas_ranked: ranking.total_in_scope,
            periods: ranking.periods.clone().into_iter().collect(),
            run_id: ranking.run_id,
        }))
    }

    async fn score_areas(
        &self,
        req: Request<pb::ScoreAreasRequest>,
    ) -> Result<Response<pb::ScoreAreasResponse>, Status> {
        let r = req.into_inner();
        let model = self.state.catalog.get(&r.model).ok_or_else(|| {
            let known: Vec<&str> = self
                .state
                .catalog
                .models()
                .iter()
                .map(|m| m.name())
                .collect();
            AppError::invalid(
                "model",
                format!(
                    "unknown model '{}'; known models: {}",
                    r.model,
                    known.join(", ")
                ),
            )
        })?;
        if r.rows.len() > MAX_SCORE_ROWS {
            return Err(AppError::invalid(
                "rows",
                format!("at most {MAX_SCORE_ROWS} rows, got {}", r.rows.len()),
            )
            .into());
        }
        if let Some(d) = r.draws
            && !(1..=ranking::MAX_DRAWS).contains(&d)
        {
            return Err(AppError::invalid(
                "draws",
                format!("must be between 1 and {}, got {d}", ranking::MAX_DRAWS),
            )
            .into());
        }
        let defaults = lighed_core::model::offline::OfflineOptions::default();
        let opts = lighed_core::model::offline::OfflineOptions {
            draws: r.draws,
            seed: r.seed.unwrap_or(defaults.seed),
            top_k: r.top_k.unwrap_or(defaults.top_k).max(1),
        };
        let rows: Vec<Vec<String>> = r.rows.into_iter().map(|x| x.cells).collect();
        let model = model.clone();
        let header = r.header;
        let out = tokio::task::spawn_blocking(move || {
            lighed_core::model::offline::score_csv(&model, &header, &rows, &opts)
                .map(|o| (o, model.name().to_owned(), model.version().to_owned()))
        })
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| AppError::invalid("rows", e.to_string()))?;
        let (output, name, version) = out;
        Ok(Response::new(pb::ScoreAreasResponse {
            header: output.header,
            rows: output
                .rows
                .iter()
                .map(|row| pb::TableRow {
                    cells: row.iter().map(|c| c.to_csv()).collect(),
                })
                .collect(),
            model: name,
            model_version: version,
        }))
    }

    type StreamRankAreasStream = RankStream;

    async fn stream_rank_areas(
        &self,
        req: Request<pb::RankAreasRequest>,
    ) -> Result<Response<Self::StreamRankAreasStream>, Status> {
        let caller = caller_of(&req);
        let r = rank_request(req.into_inner())?;
        let ranking = ranking::rank(&self.state, &r, &caller).await?;
        let items: Vec<Result<pb::RankedArea, Status>> =
            ranked_areas(&ranking).into_iter().map(Ok).collect();
        Ok(Response::new(Box::pin(tokio_stream::iter(items))))
    }
}

/// Parses a level name for a request field.
pub fn parse_level(field: &str, s: &str) -> Result<Level, AppError> {
    if s.trim().is_empty() {
        return Err(AppError::invalid(field, "is required"));
    }
    s.parse()
        .map_err(|e: lighed_core::geo::UnknownLevel| AppError::invalid(field, e.to_string()))
}
