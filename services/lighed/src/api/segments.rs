//! `lighed.v1.SegmentService`: ListSegments and ScoreSegments — wire format only; the work is
//! [`crate::segments`]. Every number sent is a released cell of a `ProtectedRelease`.

use std::pin::Pin;

use lighed_core::stats::Estimate;
use lighed_segments::{Cell, SegmentNumbers};
use tokio_stream::Stream;
use tonic::{Request, Response, Status};

use crate::api::caller_of;
use crate::pb;
use crate::pb::segment_service_server::SegmentService;
use crate::ranking::ScopeRequest;
use crate::segments::{self, SegmentRequest};
use crate::state::AppState;

/// The segment service.
#[derive(Debug, Clone)]
pub struct SegmentApi {
    state: AppState,
}

impl SegmentApi {
    /// A service over the shared state.
    pub fn new(state: AppState) -> Self {
        SegmentApi { state }
    }
}

type ScoreStream = Pin<Box<dyn Stream<Item = Result<pb::ScoreSegmentsResponse, Status>> + Send>>;

fn non_empty(s: String) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

fn count(c: Cell) -> pb::ReleasedCount {
    use pb::released_count::Cell as C;
    pb::ReleasedCount {
        cell: Some(match c {
            Cell::Released(v) => C::Value(v),
            Cell::Suppressed(r) => C::Suppressed(r.as_str().to_owned()),
            Cell::Withheld => C::Suppressed("withheld".to_owned()),
        }),
    }
}

fn estimate(e: &Estimate) -> pb::SegmentEstimate {
    pb::SegmentEstimate {
        value: e.value,
        lower: e.lower,
        upper: e.upper,
        confidence: e.confidence.level(),
        method: e.method.as_str().to_owned(),
        note: e.note.clone().unwrap_or_default(),
    }
}

fn numbers(n: &SegmentNumbers) -> pb::SegmentNumbers {
    pb::SegmentNumbers {
        persons: Some(count(n.persons)),
        base: Some(count(n.base)),
        prevalence: n.prevalence.as_ref().map(estimate),
        expected: n.expected,
        ratio: n.ratio.as_ref().map(estimate),
        excess: n.excess,
        share_of_region: n.share_of_region,
    }
}

#[tonic::async_trait]
impl SegmentService for SegmentApi {
    async fn list_segments(
        &self,
        request: Request<pb::ListSegmentsRequest>,
    ) -> Result<Response<pb::ListSegmentsResponse>, Status> {
        let name = non_empty(request.into_inner().definitions);
        let infos = segments::list(&self.state, name.as_deref()).await?;
        Ok(Response::new(pb::ListSegmentsResponse {
            definitions: infos
                .into_iter()
                .map(|i| {
                    let d = i.definitions;
                    pb::SegmentDefinitions {
                        name: d.name.clone(),
                        version: d.version.clone(),
                        description: d.description.trim().to_owned(),
                        flags: d
                            .flags
                            .iter()
                            .map(|f| pb::SegmentFlag {
                                name: f.name.clone(),
                                label: f.label.clone(),
                                source: f.source.clone(),
                            })
                            .collect(),
                        segments: d
                            .segments
                            .iter()
                            .map(|s| pb::SegmentDefinition {
                                id: s.id.clone(),
                                label: s.label.clone(),
                                description: s.description.trim().to_owned(),
                                base_label: s.base_label.clone(),
                            })
                            .collect(),
                        dataset_ids: i.dataset_ids,
                    }
                })
                .collect(),
        }))
    }

    type ScoreSegmentsStream = ScoreStream;

    async fn score_segments(
        &self,
        request: Request<pb::ScoreSegmentsRequest>,
    ) -> Result<Response<Self::ScoreSegmentsStream>, Status> {
        let caller = caller_of(&request);
        let r = request.into_inner();
        let req = SegmentRequest {
            definitions: non_empty(r.definitions),
            dataset_id: r.dataset_id,
            level: non_empty(r.level),
            scope: r.scope.map(|s| match s {
                pb::score_segments_request::Scope::Council(c) => ScopeRequest::Council(c),
                pb::score_segments_request::Scope::Municipality(m) => ScopeRequest::Municipality(m),
            }),
            segments: r.segments,
            rank_by: non_empty(r.rank_by),
            top_n: r.top_n,
            k: r.k,
            confidence: r.confidence,
        };
        let a = segments::score(&self.state, &req, &caller).await?;
        use pb::score_segments_response::Item;
        let s = &a.scores;
        let mut items = Vec::with_capacity(s.cells.len() + s.totals.len() + 1);
        items.push(Item::Header(pb::SegmentScoresHeader {
            definitions: s.definitions.clone(),
            k: s.k as u32,
            dataset_id: a.dataset_id,
            period: a.period.clone(),
            data_version: a.data_version.clone(),
            method: s.method.clone(),
            run_id: a.run_id,
            unknown_areas: s.unknown_areas.clone(),
            cell_count: s.cells.len() as u32,
        }));
        for c in &s.cells {
            items.push(Item::Cell(pb::SegmentCell {
                area_name: a.area_names.get(&c.area_code).cloned().unwrap_or_default(),
                area_code: c.area_code.clone(),
                segment: c.segment.clone(),
                rank: c.rank,
                numbers: Some(numbers(&c.numbers)),
                reason: c.reason.clone(),
            }));
        }
        for t in &s.totals {
            items.push(Item::Total(pb::SegmentTotal {
                segment: t.segment.clone(),
                label: t.label.clone(),
                base_label: t.base_label.clone(),
                scope: Some(numbers(&t.scope)),
                region: Some(numbers(&t.region)),
                protected: t.protected,
            }));
        }
        let stream = tokio_stream::iter(
            items
                .into_iter()
                .map(|i| Ok(pb::ScoreSegmentsResponse { item: Some(i) })),
        );
        Ok(Response::new(Box::pin(stream)))
    }
}
