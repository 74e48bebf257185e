//! End-to-end: `SegmentService` (ListSegments, ScoreSegments) on the real server, on SQLite and
//! PostgreSQL (when `LIGHED_TEST_POSTGRES_URL` is set). Citizen-segment aggregates are made from
//! SYNTHETIC microdata over the real parishes of Herning (657) and Holstebro (661), imported over
//! gRPC as a long-format dataset, then scored; every number that comes back must be a released
//! cell: never 1..k−1 persons, the same cell equal in every scope, and equal to the true count
//! where released. A fresh server already scores the SYNTHETIC demo aggregates
//! (`data/demo/segments.csv`, all 623 parishes); the imported dataset becomes the newest.

use std::collections::{BTreeMap, BTreeSet};

use lighed::pb;
use lighed::pb::registry_service_client::RegistryServiceClient;
use lighed::pb::segment_service_client::SegmentServiceClient;
use lighed_e2e::{Backend, TestServer, postgres_backend};
use lighed_segments::{Definitions, SegmentCounts};
use tokio_stream::StreamExt;
use tonic::Code;
use tonic_types::StatusExt;

const DEFS: &str = include_str!("../models/segments/rm-focus-groups.toml");
const FLAGS: [&str; 9] = [
    "living_alone",
    "social_housing",
    "outside_labour_education",
    "copd",
    "diabetes",
    "heart_failure",
    "frequent_prehospital",
    "acute_somatic",
    "low_health_literacy",
];

fn violated_field(s: &tonic::Status) -> String {
    s.get_error_details()
        .bad_request()
        .and_then(|b| b.field_violations.first().map(|v| v.field.clone()))
        .unwrap_or_default()
}

/// A small deterministic generator (SplitMix64), so the synthetic persons are the same in
/// every run.
struct Mix(u64);
impl Mix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// SYNTHETIC microdata: persons spread over `parishes` with skewed sizes (so that some cells
/// are small and must be suppressed), random ages, sexes, education, origin and flags.
fn microdata(parishes: &[String]) -> String {
    let mut rng = Mix(20261124);
    let mut s = format!("area_code;age;sex;education;origin;{}\n", FLAGS.join(";"));
    for (i, p) in parishes.iter().enumerate() {
        let persons = 5 + (i * 37) % 400;
        for _ in 0..persons {
            let age = rng.below(100);
            let sex = 1 + rng.below(2);
            let edu = ["1", "2", "3", ""][rng.below(4) as usize];
            let origin = ["1", "2", "3", ""][rng.below(4) as usize];
            let flags: Vec<String> = (0..FLAGS.len())
                .map(|_| u64::from(rng.below(100) < 20).to_string())
                .collect();
            s.push_str(&format!(
                "{p};{age};{sex};{edu};{origin};{}\n",
                flags.join(";")
            ));
        }
    }
    s
}

fn long_format(counts: &SegmentCounts) -> String {
    let mut s =
        String::from("area_code;indicator;period;numerator;denominator;age_band;sex;segment\n");
    for o in counts.to_observations_for_storage("2025") {
        s.push_str(&format!(
            "{};{};{};{:.0};{:.0};{};{};{}\n",
            o.area_code,
            o.indicator,
            o.period,
            o.numerator.unwrap(),
            o.denominator.unwrap(),
            o.age_band,
            o.sex,
            o.segment
        ));
    }
    s
}

/// `[members, base]` per (parish, segment) of the bundled SYNTHETIC demo aggregates (the total
/// rows of `data/demo/segments.csv`, the file a fresh server imports).
fn demo_totals() -> BTreeMap<(String, String), [u64; 2]> {
    let file = lighed::bundle::DEMO_FILES
        .iter()
        .find(|f| f.name == "data/demo/segments.csv")
        .expect("segments.csv is a demo file");
    let text = std::str::from_utf8(file.bytes).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("area_code;indicator;period;numerator;denominator;age_band;sex;segment")
    );
    lines
        .map(|l| l.split(';').collect::<Vec<_>>())
        .filter(|f| f[5].is_empty() && f[6].is_empty())
        .map(|f| {
            (
                (f[0].to_string(), f[7].to_string()),
                [f[3].parse().unwrap(), f[4].parse().unwrap()],
            )
        })
        .collect()
}

/// Header, cells and totals of one ScoreSegments stream.
struct Scored {
    header: pb::SegmentScoresHeader,
    cells: Vec<pb::SegmentCell>,
    totals: Vec<pb::SegmentTotal>,
}

async fn score(
    client: &mut SegmentServiceClient<tonic::transport::Channel>,
    req: pb::ScoreSegmentsRequest,
) -> Result<Scored, tonic::Status> {
    let mut stream = client.score_segments(req).await?.into_inner();
    let mut header = None;
    let mut cells = Vec::new();
    let mut totals = Vec::new();
    while let Some(item) = stream.next().await {
        match item?.item.expect("item") {
            pb::score_segments_response::Item::Header(h) => {
                assert!(header.is_none() && cells.is_empty() && totals.is_empty());
                header = Some(h);
            }
            pb::score_segments_response::Item::Cell(c) => {
                assert!(
                    header.is_some() && totals.is_empty(),
                    "cells after the header"
                );
                cells.push(c);
            }
            pb::score_segments_response::Item::Total(t) => totals.push(t),
        }
    }
    let header = header.expect("a header first");
    assert_eq!(header.cell_count as usize, cells.len());
    Ok(Scored {
        header,
        cells,
        totals,
    })
}

fn value(c: &Option<pb::ReleasedCount>) -> Option<u64> {
    match c.as_ref().and_then(|c| c.cell.as_ref()) {
        Some(pb::released_count::Cell::Value(v)) => Some(*v),
        _ => None,
    }
}

/// Every released count is 0 or at least k; nothing is computed from a hidden count.
fn check_released(s: &Scored) {
    let k = u64::from(s.header.k);
    let check = |n: &pb::SegmentNumbers, what: &str| {
        for c in [&n.persons, &n.base] {
            let cell = c.as_ref().and_then(|c| c.cell.as_ref()).expect("count");
            match cell {
                pb::released_count::Cell::Value(v) => {
                    assert!(*v == 0 || *v >= k, "{what}: released {v} < k {k}")
                }
                pb::released_count::Cell::Suppressed(r) => {
                    assert!(["primary", "complementary", "withheld"].contains(&r.as_str()))
                }
            }
        }
        if value(&n.persons).is_none() || value(&n.base).is_none() {
            assert!(
                n.prevalence.is_none(),
                "{what}: prevalence from a hidden count"
            );
            assert!(n.ratio.is_none() && n.excess.is_none(), "{what}");
        }
    };
    for c in &s.cells {
        check(
            c.numbers.as_ref().unwrap(),
            &format!("{} {}", c.area_code, c.segment),
        );
        if value(&c.numbers.as_ref().unwrap().persons).is_none() {
            assert!(c.rank.is_none());
        }
    }
    for t in &s.totals {
        check(t.scope.as_ref().unwrap(), &t.segment);
        check(t.region.as_ref().unwrap(), &t.segment);
    }
}

async fn check_segments(backend: Backend) {
    let server = TestServer::start(&backend).await;
    let channel = server.channel().await;
    let mut client = SegmentServiceClient::new(channel.clone());
    let mut registry = RegistryServiceClient::new(channel);

    // The shipped definitions and the SYNTHETIC demo aggregates (data/demo/segments.csv),
    // imported on first start.
    let list = client
        .list_segments(pb::ListSegmentsRequest::default())
        .await
        .unwrap()
        .into_inner();
    let d = &list.definitions[0];
    assert_eq!(d.name, "rm-focus-groups");
    assert_eq!(d.segments.len(), 5);
    assert!(d.segments.iter().any(|s| s.id == "neet_16_24"));
    assert_eq!(d.flags.len(), FLAGS.len());
    assert_eq!(d.dataset_ids.len(), 1, "the demo aggregates");
    let demo_id = d.dataset_ids[0];

    // ScoreSegments works out of the box: every parish × segment, released or marked, and the
    // released persons and bases are the demo file's.
    let all_parishes: BTreeSet<String> = server
        .state
        .store
        .areas(Some(lighed_core::geo::Level::Parish))
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.code)
        .collect();
    assert_eq!(all_parishes.len(), 623);
    let demo = score(&mut client, pb::ScoreSegmentsRequest::default())
        .await
        .expect("the demo aggregates score on a fresh server");
    assert_eq!(demo.header.dataset_id, demo_id);
    assert_eq!(demo.header.period, "2025");
    check_released(&demo);
    assert_eq!(demo.cells.len(), 623 * 5);
    assert_eq!(demo.totals.len(), 5);
    let scored: BTreeSet<String> = demo.cells.iter().map(|c| c.area_code.clone()).collect();
    assert_eq!(scored, all_parishes);
    let truth = demo_totals();
    let (mut released, mut hidden) = (0, 0);
    for c in &demo.cells {
        let t = truth
            .get(&(c.area_code.clone(), c.segment.clone()))
            .copied()
            .unwrap_or([0, 0]);
        let n = c.numbers.as_ref().unwrap();
        match value(&n.persons) {
            Some(v) => {
                assert_eq!(v, t[0], "{} {}", c.area_code, c.segment);
                released += 1;
            }
            None => hidden += 1,
        }
        if let Some(b) = value(&n.base) {
            assert_eq!(b, t[1], "{} {}", c.area_code, c.segment);
        }
    }
    assert!(
        released > 1000 && hidden > 0,
        "demo: released {released}, hidden {hidden}"
    );

    // Aggregate SYNTHETIC persons in the parishes of Herning and Holstebro and import the
    // aggregates over gRPC (the rows never reach the server).
    let parishes: Vec<String> = server
        .state
        .store
        .areas(Some(lighed_core::geo::Level::Parish))
        .await
        .unwrap()
        .into_iter()
        .filter(|a| matches!(a.municipality_code.as_deref(), Some("657" | "661")))
        .map(|a| a.code)
        .collect();
    assert!(parishes.len() > 20);
    let herning: BTreeSet<String> = server
        .state
        .store
        .areas(Some(lighed_core::geo::Level::Parish))
        .await
        .unwrap()
        .into_iter()
        .filter(|a| a.municipality_code.as_deref() == Some("657"))
        .map(|a| a.code)
        .collect();
    let defs = Definitions::from_toml("rm-focus-groups.toml", DEFS).unwrap();
    let text = microdata(&parishes);
    let (counts, summary) =
        lighed_segments::aggregate_reader("people.csv", text.as_bytes(), &defs).unwrap();
    assert!(summary.rows > 1000);
    let body = long_format(&counts);
    let mut chunks = vec![pb::ImportChunk {
        part: Some(pb::import_chunk::Part::Header(pb::ImportHeader {
            file_name: "segments_2025.csv".into(),
            format: "long".into(),
            ..Default::default()
        })),
    }];
    for c in body.as_bytes().chunks(64 * 1024) {
        chunks.push(pb::ImportChunk {
            part: Some(pb::import_chunk::Part::Data(c.to_vec())),
        });
    }
    let imported = registry
        .import_dataset(tokio_stream::iter(chunks))
        .await
        .expect("import aggregates")
        .into_inner();
    let dataset_id = imported.dataset.unwrap().id;
    let list = client
        .list_segments(pb::ListSegmentsRequest {
            definitions: "rm-focus-groups".into(),
        })
        .await
        .unwrap()
        .into_inner();
    // Newest first: the imported aggregates, then the demo's.
    assert_eq!(list.definitions[0].dataset_ids, vec![dataset_id, demo_id]);

    // The whole table: every cell released or marked; released persons equal the true counts.
    let runs_before = server.state.store.run_count().await.unwrap();
    let all = score(&mut client, pb::ScoreSegmentsRequest::default())
        .await
        .unwrap();
    assert_eq!(all.header.dataset_id, dataset_id);
    assert_eq!(all.header.k, 5);
    assert_eq!(all.header.period, "2025");
    assert!(all.header.definitions.starts_with("rm-focus-groups"));
    assert!(all.header.data_version.starts_with("d-"));
    assert!(all.header.method.contains("Wilson"));
    assert!(all.header.run_id > 0);
    assert_eq!(
        server.state.store.run_count().await.unwrap(),
        runs_before + 1
    );
    check_released(&all);
    assert_eq!(all.cells.len(), parishes.len() * 5);
    assert_eq!(all.totals.len(), 5);
    let area_index: BTreeMap<&str, usize> = counts
        .areas()
        .iter()
        .enumerate()
        .map(|(i, a)| (a.as_str(), i))
        .collect();
    let seg_index: BTreeMap<&str, usize> = counts
        .segment_ids()
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i))
        .collect();
    let (mut released, mut hidden) = (0, 0);
    for c in &all.cells {
        let truth = counts.total(
            area_index[c.area_code.as_str()],
            seg_index[c.segment.as_str()],
        );
        let n = c.numbers.as_ref().unwrap();
        match value(&n.persons) {
            Some(v) => {
                assert_eq!(v, truth[0], "{} {}", c.area_code, c.segment);
                released += 1;
            }
            None => hidden += 1,
        }
        if let Some(b) = value(&n.base) {
            assert_eq!(b, truth[1]);
        }
        assert!(!c.area_name.is_empty());
        assert!(!c.reason.is_empty());
    }
    assert!(
        released > 0 && hidden > 0,
        "released {released}, hidden {hidden}"
    );
    // Ranked cells come first, ranks 1, 2, 3, ...
    let ranks: Vec<u32> = all.cells.iter().map_while(|c| c.rank).collect();
    assert!(!ranks.is_empty());
    assert!(ranks.iter().enumerate().all(|(i, r)| *r as usize == i + 1));

    // Scopes select cells of the one protected table: the same cell is the same everywhere, so
    // overlapping scopes (Herning, the council, the parishes) cannot be differenced.
    let key = |c: &pb::SegmentCell| (c.area_code.clone(), c.segment.clone());
    let whole: BTreeMap<_, _> = all
        .cells
        .iter()
        .map(|c| (key(c), c.numbers.clone()))
        .collect();
    let scopes = [
        pb::score_segments_request::Scope::Municipality("657".into()),
        pb::score_segments_request::Scope::Council("vest".into()),
    ];
    for scope in scopes {
        let s = score(
            &mut client,
            pb::ScoreSegmentsRequest {
                scope: Some(scope.clone()),
                level: "parish".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        check_released(&s);
        for c in &s.cells {
            assert_eq!(whole[&key(c)], c.numbers, "{scope:?} {:?}", key(c));
            if matches!(scope, pb::score_segments_request::Scope::Municipality(_)) {
                assert!(herning.contains(&c.area_code));
            }
        }
        let expected = if matches!(scope, pb::score_segments_request::Scope::Municipality(_)) {
            herning.len() * 5
        } else {
            parishes.len() * 5
        };
        assert_eq!(s.cells.len(), expected);
    }
    // No data at municipality level: an empty answer, not an error.
    let none = score(
        &mut client,
        pb::ScoreSegmentsRequest {
            level: "municipality".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(none.cells.is_empty());

    // One segment, top 5, by prevalence.
    let top = score(
        &mut client,
        pb::ScoreSegmentsRequest {
            segments: vec!["prespor_frequent_nonacute".into()],
            top_n: Some(5),
            rank_by: "prevalence".into(),
            confidence: Some(0.998),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(top.cells.len(), 5, "{:?}", top.totals);
    assert_eq!(top.totals.len(), 1);
    check_released(&top);
    assert!(
        top.cells
            .iter()
            .all(|c| c.segment == "prespor_frequent_nonacute" && c.rank.is_some())
    );
    let prev: Vec<f64> = top
        .cells
        .iter()
        .map(|c| {
            c.numbers
                .as_ref()
                .unwrap()
                .prevalence
                .as_ref()
                .unwrap()
                .value
                .unwrap()
        })
        .collect();
    assert!(prev.windows(2).all(|w| w[0] >= w[1]), "{prev:?}");
    assert!(
        (top.cells[0]
            .numbers
            .as_ref()
            .unwrap()
            .prevalence
            .as_ref()
            .unwrap()
            .confidence
            - 0.998)
            .abs()
            < 1e-12
    );

    // A larger k hides more (here, with small synthetic parishes, most cells) and releases no
    // count between 1 and 9.
    let k10 = score(
        &mut client,
        pb::ScoreSegmentsRequest {
            k: Some(10),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(k10.header.k, 10);
    check_released(&k10);
    let hidden = |s: &Scored| {
        s.cells
            .iter()
            .filter(|c| value(&c.numbers.as_ref().unwrap().persons).is_none())
            .count()
    };
    assert!(hidden(&k10) >= hidden(&all));

    // Errors name the field.
    for (req, code, field) in [
        (
            pb::ScoreSegmentsRequest {
                k: Some(3),
                ..Default::default()
            },
            Code::InvalidArgument,
            "k",
        ),
        (
            pb::ScoreSegmentsRequest {
                rank_by: "loudest".into(),
                ..Default::default()
            },
            Code::InvalidArgument,
            "rank_by",
        ),
        (
            pb::ScoreSegmentsRequest {
                segments: vec!["nobody".into()],
                ..Default::default()
            },
            Code::InvalidArgument,
            "segments[0]",
        ),
        (
            pb::ScoreSegmentsRequest {
                definitions: "nope".into(),
                ..Default::default()
            },
            Code::NotFound,
            "definitions",
        ),
        (
            pb::ScoreSegmentsRequest {
                dataset_id: Some(9_999),
                ..Default::default()
            },
            Code::NotFound,
            "dataset_id",
        ),
        (
            pb::ScoreSegmentsRequest {
                scope: Some(pb::score_segments_request::Scope::Council(
                    "atlantis".into(),
                )),
                ..Default::default()
            },
            Code::NotFound,
            "council",
        ),
    ] {
        let e = score(&mut client, req).await.err().expect(field);
        assert_eq!(e.code(), code, "{field}: {e:?}");
        assert_eq!(violated_field(&e), field);
    }

    // With every segment dataset retired (the demo's too), there is nothing to score.
    for id in [dataset_id, demo_id] {
        registry
            .retire_dataset(pb::RetireDatasetRequest { id })
            .await
            .expect("retire");
    }
    let list = client
        .list_segments(pb::ListSegmentsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(list.definitions[0].dataset_ids.is_empty());
    let e = score(&mut client, pb::ScoreSegmentsRequest::default())
        .await
        .err()
        .expect("no active aggregates");
    assert_eq!(e.code(), Code::FailedPrecondition, "{e:?}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn segments_on_sqlite() {
    check_segments(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn segments_on_postgres() {
    if let Some(b) = postgres_backend("segments_on_postgres") {
        check_segments(b).await;
    }
}
