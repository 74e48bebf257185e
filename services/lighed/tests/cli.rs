//! The `lighed` binary on a fresh data directory: `rank`, `areas`, `models`, reproducibility and
//! one-line errors.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};

fn lighed(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lighed"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("LIGHED_DATABASE_URL")
        .env_remove("LIGHED_MODELS_DIR")
        .output()
        .expect("run lighed")
}

fn stdout(o: &Output) -> String {
    assert!(
        o.status.success(),
        "lighed failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).expect("UTF-8 output")
}

fn csv_rows(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let header = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|x| x.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

fn municipality_codes() -> BTreeSet<String> {
    let text = include_str!("../../../data/geography/municipalities.csv");
    let mut r = csv::Reader::from_reader(text.as_bytes());
    r.records().map(|x| x.unwrap()[0].to_owned()).collect()
}

#[test]
fn rank_municipalities_csv_on_a_fresh_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let out = stdout(&lighed(
        dir.path(),
        &["rank", "--level", "municipality", "--format", "csv"],
    ));
    let (header, rows) = csv_rows(&out);
    assert_eq!(
        &header[..9],
        [
            "area_code",
            "area_name",
            "level",
            "score",
            "rank",
            "decile",
            "population",
            "model_version",
            "data_version"
        ]
    );
    assert_eq!(rows.len(), 19);
    let codes: BTreeSet<String> = rows.iter().map(|r| r[0].clone()).collect();
    assert_eq!(codes, municipality_codes());
    let ranks: Vec<u32> = rows.iter().map(|r| r[4].parse().unwrap()).collect();
    assert_eq!(ranks, (1..=19).collect::<Vec<_>>());
    for r in &rows {
        let _score: f64 = r[3].parse().expect("numeric score");
        let d: u8 = r[5].parse().expect("decile");
        assert!((1..=10).contains(&d));
        assert_eq!(r[2], "municipality");
        assert!(r[8].starts_with("d-"));
    }

    // With draws the CSV gains the uncertainty columns, and the same seed gives the same bytes.
    let args = [
        "rank",
        "--level",
        "municipality",
        "--draws",
        "300",
        "--seed",
        "11",
        "--format",
        "csv",
    ];
    let a = stdout(&lighed(dir.path(), &args));
    assert_eq!(a, stdout(&lighed(dir.path(), &args)));
    let (header, rows) = csv_rows(&a);
    for col in [
        "rank_median",
        "rank_p05",
        "rank_p95",
        "p_top_k",
        "p_top_decile",
        "tie_group",
    ] {
        assert!(header.iter().any(|h| h == col), "missing {col}: {header:?}");
    }
    assert_eq!(rows.len(), 19);

    // Same database + same model ⇒ byte-identical output, in every format.
    for format in ["csv", "json", "table"] {
        let a = lighed(
            dir.path(),
            &["rank", "--level", "parish", "--format", format],
        );
        let b = lighed(
            dir.path(),
            &["rank", "--level", "parish", "--format", format],
        );
        assert_eq!(stdout(&a), stdout(&b), "format {format}");
    }
}

#[test]
fn council_scopes_return_exactly_their_municipalities() {
    let dir = tempfile::tempdir().unwrap();
    let region =
        toml::from_str::<toml::Table>(include_str!("../../../data/geography/region.toml")).unwrap();
    let councils = region["council"].as_array().unwrap();
    assert_eq!(councils.len(), 5);
    for c in councils {
        let id = c["id"].as_str().unwrap();
        let want: BTreeSet<String> = c["municipalities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m.as_str().unwrap().to_owned())
            .collect();
        let out = stdout(&lighed(
            dir.path(),
            &[
                "rank",
                "--level",
                "municipality",
                "--council",
                id,
                "--format",
                "csv",
            ],
        ));
        let (_, rows) = csv_rows(&out);
        let got: BTreeSet<String> = rows.iter().map(|r| r[0].clone()).collect();
        assert_eq!(got, want, "council {id}");
    }
}

#[test]
fn bad_requests_exit_non_zero_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&["rank", "--level", "kommune"], "level"),
        (
            &["rank", "--level", "municipality", "--model", "nope"],
            "model",
        ),
        (&["rank", "--level", "municipality", "--top", "0"], "top_n"),
        (
            &["rank", "--level", "municipality", "--top", "99999999"],
            "top_n",
        ),
        (
            &["rank", "--level", "municipality", "--council", "atlantis"],
            "council",
        ),
        (
            &["rank", "--level", "parish", "--municipality", "999"],
            "municipality",
        ),
        (&["areas", "--level", "planet"], "level"),
    ];
    for (args, field) in cases {
        let o = lighed(dir.path(), args);
        assert!(!o.status.success(), "{args:?} succeeded");
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(o.stdout.is_empty(), "{args:?} printed to stdout");
        let err = String::from_utf8_lossy(&o.stderr);
        let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
        assert_eq!(lines.len(), 1, "{args:?}: {err}");
        assert!(lines[0].contains(field), "{args:?}: {err}");
    }
}

#[test]
fn areas_and_models_list() {
    let dir = tempfile::tempdir().unwrap();
    let out = stdout(&lighed(
        dir.path(),
        &[
            "areas", "--level", "parish", "--parent", "vest", "--format", "csv",
        ],
    ));
    let (header, rows) = csv_rows(&out);
    assert_eq!(header[0], "code");
    assert!(rows.len() > 50);
    assert!(rows.iter().all(|r| r[5] == "SR-VEST"));
    let models = stdout(&lighed(dir.path(), &["models", "--format", "json"]));
    let v: serde_json::Value = serde_json::from_str(&models).unwrap();
    assert!(v.as_array().unwrap().iter().any(|m| m["default"] == true));
}
