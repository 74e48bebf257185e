//! End-to-end: the real server on an ephemeral port, called with real tonic clients, once on
//! SQLite and once on PostgreSQL (when `LIGHED_TEST_POSTGRES_URL` is set).

use std::collections::BTreeSet;

use lighed::pb;
use lighed::pb::scoring_service_client::ScoringServiceClient;
use lighed_e2e::{Backend, TestServer, postgres_backend};
use tokio_stream::StreamExt;
use tonic::Code;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_reflection::pb::v1::ServerReflectionRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
use tonic_types::StatusExt;

fn rank(level: &str) -> pb::RankAreasRequest {
    pb::RankAreasRequest {
        level: level.into(),
        ..Default::default()
    }
}

/// The field named by an error's BadRequest details.
fn violated_field(s: &tonic::Status) -> String {
    s.get_error_details()
        .bad_request()
        .and_then(|b| b.field_violations.first().map(|v| v.field.clone()))
        .unwrap_or_default()
}

async fn check_everything(backend: Backend) {
    let server = TestServer::start(&backend).await;
    let channel = server.channel().await;
    let mut client = ScoringServiceClient::new(channel.clone());

    // Health: serving once the database is migrated and seeded.
    let mut health = HealthClient::new(channel.clone());
    let h = health
        .check(HealthCheckRequest {
            service: "lighed.v1.ScoringService".into(),
        })
        .await
        .expect("health check")
        .into_inner();
    assert_eq!(h.status, ServingStatus::Serving as i32);

    // Reflection lists our service and the health service.
    let mut refl = ServerReflectionClient::new(channel.clone());
    let req = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut stream = refl
        .server_reflection_info(tokio_stream::iter(vec![req]))
        .await
        .expect("reflection")
        .into_inner();
    let msg = stream.next().await.expect("one response").expect("ok");
    let Some(MessageResponse::ListServicesResponse(list)) = msg.message_response else {
        panic!("unexpected reflection response {msg:?}");
    };
    let names: BTreeSet<String> = list.service.into_iter().map(|s| s.name).collect();
    assert!(names.contains("lighed.v1.ScoringService"), "{names:?}");
    assert!(names.contains("grpc.health.v1.Health"), "{names:?}");

    // ListModels.
    let models = client
        .list_models(pb::ListModelsRequest {})
        .await
        .expect("list models")
        .into_inner();
    assert!(models.models.iter().any(|m| m.name == models.default_model));

    // ListAreas: 19 real municipalities, 623 parishes, Herning's parishes.
    let munis = client
        .list_areas(pb::ListAreasRequest {
            level: "municipality".into(),
            parent: String::new(),
        })
        .await
        .expect("list municipalities")
        .into_inner()
        .areas;
    assert_eq!(munis.len(), 19);
    let herning = munis.iter().find(|a| a.code == "657").expect("Herning");
    assert_eq!(herning.name, "Herning");
    assert_eq!(herning.council_code, "SR-VEST");
    assert!(herning.population.unwrap_or(0) > 80_000, "{herning:?}");
    let parishes = client
        .list_areas(pb::ListAreasRequest {
            level: "parish".into(),
            parent: String::new(),
        })
        .await
        .expect("list parishes")
        .into_inner()
        .areas;
    assert_eq!(parishes.len(), 623);
    let herning_parishes = client
        .list_areas(pb::ListAreasRequest {
            level: "parish".into(),
            parent: "657".into(),
        })
        .await
        .expect("Herning parishes")
        .into_inner()
        .areas;
    assert!(!herning_parishes.is_empty());
    assert!(
        herning_parishes
            .iter()
            .all(|a| a.municipality_code == "657")
    );

    // RankAreas over the region: ranks are a permutation of 1..=19, deciles 1..=10, reasons.
    let r = client
        .rank_areas(rank("municipality"))
        .await
        .expect("rank")
        .into_inner();
    assert_eq!(r.areas.len(), 19);
    assert_eq!(r.total_in_scope, 19);
    assert!(r.data_version.starts_with("d-"));
    assert!(r.run_id > 0);
    let ranks: Vec<u32> = r.areas.iter().map(|a| a.rank.expect("ranked")).collect();
    assert_eq!(ranks, (1..=19).collect::<Vec<u32>>());
    for a in &r.areas {
        assert!((1..=10).contains(&a.decile.expect("decile")));
        assert_eq!(a.reasons.len(), 3, "{a:?}");
        assert!(!a.reasons[0].text.is_empty());
        assert_eq!(a.model_version, r.model_version);
        assert_eq!(a.data_version, r.data_version);
    }
    let scores: Vec<f64> = r.areas.iter().map(|a| a.score.expect("score")).collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]),
        "sorted by need: {scores:?}"
    );

    // Council scopes return exactly their municipalities, re-ranked 1..n.
    let region = lighed::geography::parse_region(lighed::bundle::REGION_TOML).expect("region");
    for council in &region.council {
        for name in [&council.id, &council.code] {
            let mut req = rank("municipality");
            req.scope = Some(pb::rank_areas_request::Scope::Council(name.clone()));
            let got = client
                .rank_areas(req)
                .await
                .expect("council rank")
                .into_inner();
            let codes: BTreeSet<String> = got.areas.iter().map(|a| a.code.clone()).collect();
            let want: BTreeSet<String> = council.municipalities.iter().cloned().collect();
            assert_eq!(codes, want, "council {name}");
            let ranks: Vec<u32> = got.areas.iter().map(|a| a.rank.unwrap()).collect();
            assert_eq!(ranks, (1..=want.len() as u32).collect::<Vec<_>>());
        }
    }

    // Top N in Herning's housing areas.
    let mut req = rank("housing_area");
    req.scope = Some(pb::rank_areas_request::Scope::Municipality("657".into()));
    req.top_n = Some(3);
    let got = client
        .rank_areas(req)
        .await
        .expect("Herning housing areas")
        .into_inner();
    assert_eq!(got.areas.len(), 3);
    assert!(got.total_in_scope >= 5);
    assert!(got.areas.iter().all(|a| a.code.starts_with("657-")));

    // Streaming: all 623 parishes, in rank order.
    let mut s = client
        .stream_rank_areas(rank("parish"))
        .await
        .expect("stream")
        .into_inner();
    let mut n = 0;
    while let Some(item) = s.next().await {
        let item = item.expect("stream item");
        assert_eq!(item.level, "parish");
        n += 1;
    }
    assert_eq!(n, 623);

    // Rank uncertainty: intervals hold the point rank, P(top k) sums to k, same seed ⇒ same answer.
    let with_draws = pb::RankAreasRequest {
        draws: Some(200),
        seed: Some(3),
        ..rank("municipality")
    };
    let a = client
        .rank_areas(with_draws.clone())
        .await
        .expect("draws")
        .into_inner();
    let b = client
        .rank_areas(with_draws)
        .await
        .expect("draws again")
        .into_inner();
    assert_eq!((a.draws, a.seed, a.top_k), (200, 3, 10));
    assert_eq!(a.areas, b.areas, "same seed, same answer");
    let mut p_sum = 0.0;
    for x in &a.areas {
        let r = x.region_rank.unwrap();
        assert!(
            x.rank_p05.unwrap() <= r && r <= x.rank_p95.unwrap(),
            "{x:?}"
        );
        assert!(x.tie_group.unwrap() >= 1);
        p_sum += x.p_top_k.unwrap();
    }
    assert!((p_sum - 10.0).abs() < 1e-9, "P(top 10) sums to {p_sum}");

    // ExplainArea: every indicator, contributions summing to the score.
    let e = client
        .explain_area(pb::ExplainAreaRequest {
            model: String::new(),
            area_code: "657".into(),
        })
        .await
        .expect("explain Herning")
        .into_inner();
    let area = e.area.expect("area");
    assert_eq!(area.code, "657");
    assert_eq!(e.areas_ranked, 19);
    let default_model = models
        .models
        .iter()
        .find(|m| m.name == models.default_model)
        .unwrap();
    assert_eq!(e.contributions.len(), default_model.indicators.len());
    let sum: f64 = e.contributions.iter().map(|c| c.contribution).sum();
    assert!(
        (sum - area.score.unwrap()).abs() < 1e-9,
        "{sum} vs {:?}",
        area.score
    );
    assert!(!e.periods.is_empty());
    let missing = client
        .explain_area(pb::ExplainAreaRequest {
            model: String::new(),
            area_code: "0000".into(),
        })
        .await
        .expect_err("unknown area");
    assert_eq!(missing.code(), Code::NotFound);
    assert_eq!(violated_field(&missing), "area_code");

    // ScoreAreas: a caller-supplied table through the SVI 2020 model.
    let ep = [
        "EP_POV150",
        "EP_UNEMP",
        "EP_HBURD",
        "EP_NOHSDP",
        "EP_UNINSUR",
        "EP_AGE65",
        "EP_AGE17",
        "EP_DISABL",
        "EP_SNGPNT",
        "EP_LIMENG",
        "EP_MINRTY",
        "EP_MUNIT",
        "EP_MOBILE",
        "EP_CROWD",
        "EP_NOVEH",
        "EP_GROUPQ",
    ];
    let mut header = vec!["area_code".to_owned(), "E_TOTPOP".to_owned()];
    header.extend(ep.iter().map(|s| s.to_string()));
    let rows: Vec<pb::TableRow> = (0..12)
        .map(|i| {
            let mut cells = vec![format!("A{i:02}"), format!("{}", 1000 + i * 10)];
            cells.extend(
                (0..ep.len()).map(|j| format!("{:.1}", ((i * 7 + j * 3) % 23) as f64 + 0.5)),
            );
            pb::TableRow { cells }
        })
        .collect();
    let scored = client
        .score_areas(pb::ScoreAreasRequest {
            model: "svi-2020".into(),
            header,
            rows,
            ..Default::default()
        })
        .await
        .expect("score areas")
        .into_inner();
    assert_eq!(scored.header[0], "area_code");
    assert!(scored.header.iter().any(|h| h == "RPL_THEMES"));
    assert_eq!(scored.rows.len(), 12);
    let bad = client
        .score_areas(pb::ScoreAreasRequest {
            model: "svi-2020".into(),
            header: vec!["area_code".into()],
            rows: vec![pb::TableRow {
                cells: vec!["A".into()],
            }],
            ..Default::default()
        })
        .await
        .expect_err("missing columns");
    assert_eq!(bad.code(), Code::InvalidArgument);
    assert_eq!(violated_field(&bad), "rows");

    // Bad requests name the field.
    let cases: Vec<(pb::RankAreasRequest, Code, &str)> = vec![
        (rank("kommune"), Code::InvalidArgument, "level"),
        (
            pb::RankAreasRequest {
                draws: Some(0),
                ..rank("municipality")
            },
            Code::InvalidArgument,
            "draws",
        ),
        (
            pb::RankAreasRequest {
                seed: Some(4),
                ..rank("municipality")
            },
            Code::InvalidArgument,
            "seed",
        ),
        (rank(""), Code::InvalidArgument, "level"),
        (
            pb::RankAreasRequest {
                model: "no-such-model".into(),
                ..rank("municipality")
            },
            Code::InvalidArgument,
            "model",
        ),
        (
            pb::RankAreasRequest {
                top_n: Some(0),
                ..rank("municipality")
            },
            Code::InvalidArgument,
            "top_n",
        ),
        (
            pb::RankAreasRequest {
                top_n: Some(1_000_000),
                ..rank("municipality")
            },
            Code::InvalidArgument,
            "top_n",
        ),
        (
            pb::RankAreasRequest {
                scope: Some(pb::rank_areas_request::Scope::Council("nordpolen".into())),
                ..rank("municipality")
            },
            Code::NotFound,
            "council",
        ),
        (
            pb::RankAreasRequest {
                scope: Some(pb::rank_areas_request::Scope::Municipality("101".into())),
                ..rank("municipality")
            },
            Code::NotFound,
            "municipality",
        ),
    ];
    for (req, code, field) in cases {
        let e = client.rank_areas(req.clone()).await.expect_err("must fail");
        assert_eq!(e.code(), code, "{req:?}: {e:?}");
        assert_eq!(violated_field(&e), field, "{req:?}: {e:?}");
    }
    let e = client
        .list_areas(pb::ListAreasRequest {
            level: "municipality".into(),
            parent: "9999999".into(),
        })
        .await
        .expect_err("unknown parent");
    assert_eq!(e.code(), Code::NotFound);

    // Every ranking was recorded for audit (1 + 10 council calls + Herning + stream + 2 with
    // draws + 1 explanation = 16).
    assert_eq!(server.state.store.run_count().await.expect("runs"), 16);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scoring_api_on_sqlite() {
    check_everything(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scoring_api_on_postgres() {
    if let Some(b) = postgres_backend("scoring_api_on_postgres") {
        check_everything(b).await;
    }
}
