//! End-to-end: importing register extracts over gRPC (client streaming) into versioned,
//! all-or-nothing datasets; listing, inspecting and retiring them — on SQLite and PostgreSQL.

use lighed::pb;
use lighed::pb::registry_service_client::RegistryServiceClient;
use lighed::pb::scoring_service_client::ScoringServiceClient;
use lighed_e2e::{Backend, TestServer, postgres_backend};
use tonic::Code;
use tonic_types::StatusExt;

fn header(name: &str, format: &str, lang: &str, encoding: &str) -> pb::ImportChunk {
    pb::ImportChunk {
        part: Some(pb::import_chunk::Part::Header(pb::ImportHeader {
            file_name: name.into(),
            format: format.into(),
            lang: lang.into(),
            table: String::new(),
            encoding: encoding.into(),
        })),
    }
}

/// The header, then the bytes in chunks of `chunk` bytes.
fn chunks(h: pb::ImportChunk, bytes: &[u8], chunk: usize) -> Vec<pb::ImportChunk> {
    let mut v = vec![h];
    for c in bytes.chunks(chunk.max(1)) {
        v.push(pb::ImportChunk {
            part: Some(pb::import_chunk::Part::Data(c.to_vec())),
        });
    }
    v
}

const GOOD: &str = "area_code;indicator;period;numerator;denominator\n\
7240;daily_smoking;2026;31;250\n\
7241;daily_smoking;2026;..;\n\
657;population;2026;90112;\n";

struct Bad {
    what: &'static str,
    bytes: Vec<u8>,
    format: &'static str,
    lang: &'static str,
    encoding: &'static str,
    /// Expected `line:column` of the first violation.
    at: &'static str,
}

fn bad_files() -> Vec<Bad> {
    let long = |body: &str| {
        format!("area_code;indicator;period;numerator;denominator\n{body}").into_bytes()
    };
    let da = |body: &str| format!("OMRÅDE;CIVILSTAND;TID;INDHOLD\n{body}").into_bytes();
    let en = |body: &str| format!("OMRÅDE;CIVILSTAND;TID;INDHOLD\n{body}").into_bytes();
    vec![
        Bad { what: "truncated line", bytes: da("Hele landet;I alt;2008K1;5475791\nHele landet;I alt;2008K2\n"), format: "", lang: "da", encoding: "", at: "3:4" },
        Bad { what: "wrong column count", bytes: long("7240;daily_smoking;2026;31;250;9\n"), format: "", lang: "", encoding: "", at: "2:6" },
        Bad { what: "unknown header", bytes: b"area;indicator;period;numerator;denominator\n7240;daily_smoking;2026;1;2\n".to_vec(), format: "", lang: "", encoding: "", at: "1:1" },
        Bad { what: "non-number", bytes: long("7240;daily_smoking;2026;abc;250\n"), format: "", lang: "", encoding: "", at: "2:4" },
        Bad { what: "decimal comma under en", bytes: en("All Denmark;Total;2008Q1;5475791,5\n"), format: "statbank", lang: "en", encoding: "", at: "2:4" },
        Bad { what: "unmapped text", bytes: da("Atlantis;I alt;2008K1;5475791\n"), format: "", lang: "da", encoding: "", at: "2:1" },
        Bad { what: "duplicate key", bytes: long("7240;daily_smoking;2026;31;250\n7240;daily_smoking;2026;31;250\n"), format: "", lang: "", encoding: "", at: "3:1" },
        Bad { what: "invalid UTF-8", bytes: b"area_code;indicator;period;numerator;denominator\n7240;daily_smoking;2026;31;250\n\xff\xfe;daily_smoking;2026;1;2\n".to_vec(), format: "", lang: "", encoding: "utf-8", at: "" },
        Bad { what: "empty file", bytes: Vec::new(), format: "", lang: "", encoding: "", at: "1:1" },
        Bad { what: "BOM-only file", bytes: b"\xEF\xBB\xBF".to_vec(), format: "", lang: "", encoding: "", at: "1:1" },
    ]
}

async fn check_registry(backend: Backend) {
    let server = TestServer::start(&backend).await;
    let channel = server.channel().await;
    let mut reg = RegistryServiceClient::new(channel.clone());
    let mut scoring = ScoringServiceClient::new(channel.clone());
    let store = &server.state.store;

    let seeded = reg
        .list_datasets(pb::ListDatasetsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .datasets;
    assert_eq!(
        seeded.len(),
        lighed::bundle::DEMO_FILES.len(),
        "the demo extracts"
    );
    let version_before = scoring
        .rank_areas(pb::RankAreasRequest {
            level: "municipality".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .data_version;

    // Every malformed file is rejected with file:line:column and leaves the database unchanged:
    // datasets and the observation count after each file, the full content digest after all.
    let digest = store.content_digest().await.unwrap();
    let datasets = store.datasets().await.unwrap();
    let observations = store.observation_count().await.unwrap();
    for bad in bad_files() {
        let name = format!("{}.csv", bad.what.replace(' ', "_"));
        let h = header(&name, bad.format, bad.lang, bad.encoding);
        let e = reg
            .import_dataset(tokio_stream::iter(chunks(h, &bad.bytes, 5)))
            .await
            .expect_err(bad.what);
        assert_eq!(e.code(), Code::InvalidArgument, "{}: {e:?}", bad.what);
        let details = e.get_error_details();
        let v = details.bad_request().expect("field violations");
        assert!(!v.field_violations.is_empty(), "{}", bad.what);
        let first = &v.field_violations[0];
        assert!(
            first.field.starts_with(&format!("{name}:")),
            "{}: {first:?}",
            bad.what
        );
        if !bad.at.is_empty() {
            assert_eq!(
                first.field,
                format!("{name}:{}", bad.at),
                "{}: {first:?}",
                bad.what
            );
        }
        assert_eq!(
            store.datasets().await.unwrap(),
            datasets,
            "{} added a dataset",
            bad.what
        );
        assert_eq!(
            store.observation_count().await.unwrap(),
            observations,
            "{} wrote rows",
            bad.what
        );
    }
    assert_eq!(
        store.content_digest().await.unwrap(),
        digest,
        "a rejected file changed the database"
    );

    // A good file, streamed in 7-byte chunks: a new active dataset; missing stays missing.
    let h = header("smoking_2026.csv", "", "", "");
    let r = reg
        .import_dataset(tokio_stream::iter(chunks(h.clone(), GOOD.as_bytes(), 7)))
        .await
        .expect("import")
        .into_inner();
    assert!(!r.already_imported);
    let d = r.dataset.expect("dataset");
    assert_eq!(d.status, "active");
    assert_eq!(d.format, "long");
    assert_eq!(d.row_count, 3);
    assert_eq!(d.missing_count, 1);
    assert_eq!(d.periods, vec!["2026"]);
    assert_eq!(d.source, "smoking_2026.csv");
    assert_eq!(d.checksum.len(), 64);
    assert!(d.imported_by.starts_with("grpc"), "{}", d.imported_by);

    // The same bytes again: the existing dataset, nothing written.
    let digest = store.content_digest().await.unwrap();
    let again = reg
        .import_dataset(tokio_stream::iter(chunks(h, GOOD.as_bytes(), 1000)))
        .await
        .expect("re-import")
        .into_inner();
    assert!(again.already_imported);
    assert_eq!(again.dataset.unwrap().id, d.id);
    assert_eq!(store.content_digest().await.unwrap(), digest);

    // The new data changes the data version; Herning's population follows the newest period.
    let version_after = scoring
        .rank_areas(pb::RankAreasRequest {
            level: "municipality".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .data_version;
    assert_ne!(version_before, version_after);
    assert_eq!(
        store.area("657").await.unwrap().unwrap().population,
        Some(90112)
    );

    // Inspect, retire, and retire again.
    let got = reg
        .get_dataset(pb::GetDatasetRequest { id: d.id })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got, d);
    let retired = reg
        .retire_dataset(pb::RetireDatasetRequest { id: d.id })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(retired.status, "retired");
    assert!(!retired.retired_by.is_empty());
    assert_ne!(
        store.area("657").await.unwrap().unwrap().population,
        Some(90112)
    );
    let listed = reg
        .list_datasets(pb::ListDatasetsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .datasets;
    assert!(listed.iter().all(|x| x.id != d.id));
    let all = reg
        .list_datasets(pb::ListDatasetsRequest {
            include_retired: true,
        })
        .await
        .unwrap()
        .into_inner()
        .datasets;
    assert!(all.iter().any(|x| x.id == d.id && x.status == "retired"));
    let version_retired = scoring
        .rank_areas(pb::RankAreasRequest {
            level: "municipality".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .data_version;
    assert_eq!(
        version_retired, version_before,
        "retiring restores the earlier data version"
    );
    let e = reg
        .retire_dataset(pb::RetireDatasetRequest { id: d.id })
        .await
        .expect_err("retired twice");
    assert_eq!(e.code(), Code::FailedPrecondition);
    let e = reg
        .get_dataset(pb::GetDatasetRequest { id: 999_999 })
        .await
        .expect_err("unknown id");
    assert_eq!(e.code(), Code::NotFound);

    // A stream that does not start with a header.
    let e = reg
        .import_dataset(tokio_stream::iter(vec![pb::ImportChunk {
            part: Some(pb::import_chunk::Part::Data(GOOD.as_bytes().to_vec())),
        }]))
        .await
        .expect_err("no header");
    assert_eq!(e.code(), Code::InvalidArgument);
    assert!(store.integrity_ok().await.unwrap());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registry_api_on_sqlite() {
    check_registry(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registry_api_on_postgres() {
    if let Some(b) = postgres_backend("registry_api_on_postgres") {
        check_registry(b).await;
    }
}
