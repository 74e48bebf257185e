//! `lighed segments` through `lighed::cli::segments::run` (the function the `segments`
//! subcommand calls): `rank` from microdata and from register cross-tabs prints only protected
//! numbers; `aggregate` stores the aggregates as a dataset through the import path, and rejects
//! a microdata file with a CPR-like column, naming the line, without storing anything; the same
//! for Parquet microdata (`--input people.parquet`).

use std::path::PathBuf;

use clap::Parser;
use lighed::cli::segments::{SegmentsAction, SegmentsArgs};
use lighed::settings::Settings;

const DEFS: &str = r#"
[definitions]
name = "cli-test"
version = "1"
description = "one segment for the CLI tests"

[flags.neet]
label = "not in employment, education or training"
source = "test"

[[segments]]
id = "neet_16_24"
label = "NEET 16-24"
description = "young people outside work and education"
base_label = "residents aged 16-24"
base = { age = [16, 24] }
conditions = { all_flags = ["neet"] }
"#;

/// 3 areas: P1 6 of 20 NEET, P2 3 of 20 (a primary cell), P3 9 of 20.
fn microdata() -> String {
    let mut s = String::from("area_code,age,sex,neet\n");
    for (area, members, base) in [("P1", 6, 20), ("P2", 3, 20), ("P3", 9, 20)] {
        for i in 0..base {
            s.push_str(&format!(
                "{area},{},{},{}\n",
                16 + i % 9,
                1 + i % 2,
                (i < members) as u8
            ));
        }
    }
    s
}

/// Parses `segments …` arguments with the real clap definitions.
#[derive(Debug, Parser)]
struct Wrapper {
    #[command(flatten)]
    args: SegmentsArgs,
}

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("defs.toml"), DEFS).unwrap();
        std::fs::write(dir.path().join("people.csv"), microdata()).unwrap();
        Env { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn settings(&self) -> Settings {
        Settings {
            data_dir: self.path("data"),
            database_url: None,
            listen: "127.0.0.1:0".parse().unwrap(),
        }
    }

    async fn run(&self, args: &[&str]) -> anyhow::Result<String> {
        let mut argv = vec!["segments".to_string()];
        argv.extend(
            args.iter()
                .map(|a| a.replace("{dir}", &self.dir.path().display().to_string())),
        );
        let w = Wrapper::try_parse_from(&argv)?;
        let mut out = Vec::new();
        lighed::cli::segments::run(&w.args, &self.settings(), None, "cli:test", &mut out).await?;
        Ok(String::from_utf8(out)?)
    }
}

fn csv_rows(text: &str) -> Vec<csv::StringRecord> {
    csv::Reader::from_reader(text.as_bytes())
        .records()
        .map(Result::unwrap)
        .collect()
}

#[tokio::test]
async fn rank_from_microdata_shows_only_protected_numbers() {
    let env = Env::new();
    let text = env
        .run(&[
            "rank",
            "--definitions",
            "{dir}/defs.toml",
            "--input",
            "{dir}/people.csv",
            "--format",
            "csv",
        ])
        .await
        .unwrap();
    let rows = csv_rows(&text);
    assert_eq!(rows.len(), 3);
    let by_area = |a: &str| rows.iter().find(|r| &r[1] == a).unwrap().clone();
    // P2 has 3 NEET: primary suppression; its non-members then could be worked out from the
    // base, so complements hide more cells; nothing below 5 persons is printed.
    assert_eq!(&by_area("P2")[3], "..(primary)");
    assert_eq!(
        &by_area("P2")[5],
        "",
        "no prevalence from a suppressed count"
    );
    assert_eq!(&by_area("P2")[0], "", "no rank");
    for r in &rows {
        for col in [3, 4] {
            if let Ok(v) = r[col].parse::<u64>() {
                assert!(v == 0 || v >= 5, "printed {v}");
            }
        }
    }
    // Table and JSON render the same release.
    let table = env
        .run(&[
            "rank",
            "--definitions",
            "{dir}/defs.toml",
            "--input",
            "{dir}/people.csv",
        ])
        .await
        .unwrap();
    assert!(
        table.contains("NEET 16-24: fewer than 5 persons: not shown"),
        "{table}"
    );
    let json = env
        .run(&[
            "rank",
            "--definitions",
            "{dir}/defs.toml",
            "--input",
            "{dir}/people.csv",
            "--format",
            "json",
        ])
        .await
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["k"], 5);
}

#[tokio::test]
async fn rank_from_cross_tabs_equals_rank_from_microdata() {
    let env = Env::new();
    // The same counts as register cross-tabs (age band x sex cells) in the long format.
    let mut cross =
        String::from("area_code;indicator;period;numerator;denominator;age_band;sex;segment\n");
    // ages 16..24 by i % 9, sex by i % 2, members are i < m
    for (area, members, base) in [("P1", 6u32, 20u32), ("P2", 3, 20), ("P3", 9, 20)] {
        let mut cells = std::collections::BTreeMap::new();
        for i in 0..base {
            let age = 16 + i % 9;
            let band = if age < 20 { "15-19" } else { "20-24" };
            let e = cells.entry((band, 1 + i % 2)).or_insert((0, 0));
            e.0 += (i < members) as u32;
            e.1 += 1;
        }
        for ((band, sex), (m, b)) in cells {
            cross.push_str(&format!(
                "{area};segment_persons;2025;{m};{b};{band};{sex};neet_16_24\n"
            ));
        }
    }
    std::fs::write(env.path("cross.csv"), cross).unwrap();
    let args = |src: &str, file: &str| {
        vec![
            "rank".to_string(),
            "--definitions".into(),
            "{dir}/defs.toml".into(),
            src.into(),
            file.into(),
            "--format".into(),
            "json".into(),
        ]
    };
    let a = args("--input", "{dir}/people.csv");
    let b = args("--aggregates", "{dir}/cross.csv");
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let b: Vec<&str> = b.iter().map(String::as_str).collect();
    let from_micro = env.run(&a).await.unwrap();
    let from_cross = env.run(&b).await.unwrap();
    assert_eq!(from_micro, from_cross);
}

#[tokio::test]
async fn aggregate_stores_a_dataset_and_rejects_cpr_columns() {
    let env = Env::new();
    let out = env
        .run(&[
            "aggregate",
            "--input",
            "{dir}/people.csv",
            "--definitions",
            "{dir}/defs.toml",
            "--period",
            "2025",
            "--format",
            "csv",
        ])
        .await
        .unwrap();
    let rows = csv_rows(&out);
    assert_eq!(rows.len(), 1, "{out}");
    let stored = env.run_datasets().await;
    assert_eq!(
        stored,
        Env::new().run_datasets().await + 1,
        "one new dataset"
    );
    assert!(out.contains("segments:cli-test:people.csv"), "{out}");

    // A CPR column: rejected with line 1, nothing stored.
    let bad = microdata().replacen("area_code,", "area_code,cpr_nr,", 1);
    std::fs::write(env.path("bad.csv"), bad).unwrap();
    let err = env
        .run(&[
            "aggregate",
            "--input",
            "{dir}/bad.csv",
            "--definitions",
            "{dir}/defs.toml",
        ])
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("bad.csv:1:") && err.contains("CPR"), "{err}");
    assert_eq!(
        env.run_datasets().await,
        stored,
        "nothing stored for the rejected file"
    );
}

#[tokio::test]
async fn aggregate_and_rank_read_parquet_microdata() {
    let env = Env::new();
    // The same rows as people.csv, as Parquet (two row groups).
    let rows =
        lighed_segments::csv_to_parquet(&env.path("people.csv"), &env.path("people.parquet"), 40)
            .unwrap();
    assert_eq!(rows, 60);
    let rank = |input: &'static str| {
        let env = &env;
        async move {
            env.run(&[
                "rank",
                "--definitions",
                "{dir}/defs.toml",
                "--input",
                input,
                "--format",
                "csv",
            ])
            .await
            .unwrap()
        }
    };
    let from_parquet = rank("{dir}/people.parquet").await;
    assert_eq!(csv_rows(&from_parquet).len(), 3);
    assert_eq!(from_parquet, rank("{dir}/people.csv").await);

    let before = env.run_datasets().await;
    let out = env
        .run(&[
            "aggregate",
            "--input",
            "{dir}/people.parquet",
            "--definitions",
            "{dir}/defs.toml",
            "--format",
            "csv",
        ])
        .await
        .unwrap();
    assert_eq!(csv_rows(&out).len(), 1, "{out}");
    assert!(out.contains("people.parquet"), "{out}");
    assert_eq!(env.run_datasets().await, before + 1, "one new dataset");

    // A Parquet file with a CPR column: rejected, nothing stored.
    let bad = microdata().replacen("area_code,", "area_code,cpr_nr,", 1);
    let bad = bad
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                l.to_string()
            } else {
                l.replacen(',', ",1234,", 1)
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(env.path("bad.csv"), bad).unwrap();
    lighed_segments::csv_to_parquet(&env.path("bad.csv"), &env.path("bad.parquet"), 100).unwrap();
    let err = env
        .run(&[
            "aggregate",
            "--input",
            "{dir}/bad.parquet",
            "--definitions",
            "{dir}/defs.toml",
        ])
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("bad.parquet") && err.contains("CPR"), "{err}");
    assert_eq!(env.run_datasets().await, before + 1, "nothing stored");
}

impl Env {
    /// Number of datasets in the store.
    async fn run_datasets(&self) -> usize {
        let state = lighed::state::open(&self.settings(), None).await.unwrap();
        let n = lighed::datasets::list(&state, true).await.unwrap().len();
        state.store.close().await;
        n
    }
}

#[test]
fn clap_accepts_the_documented_arguments() {
    let w = Wrapper::try_parse_from([
        "segments",
        "rank",
        "--definitions",
        "d.toml",
        "--aggregates",
        "x.csv",
        "--scope",
        "P1,P2",
        "--segment",
        "neet_16_24",
        "--by",
        "ratio",
        "--top",
        "5",
        "--k",
        "10",
    ])
    .unwrap();
    match w.args.action {
        SegmentsAction::Rank(r) => {
            assert_eq!(r.scope.unwrap(), ["P1", "P2"]);
            assert_eq!(r.k, 10);
        }
        _ => panic!("rank expected"),
    }
    assert!(
        Wrapper::try_parse_from(["segments", "rank", "--definitions", "d.toml"]).is_err(),
        "a source is required"
    );
}
