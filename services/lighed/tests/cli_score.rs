//! `lighed score` and `lighed models validate` on the real binary.
//!
//! The SVI known answers are CDC's own values in the released SVI 2020 database for
//! Pennsylvania counties (heli-xu/findSVI `data-raw/xls/2020svi_pa_co_cdc.csv`, provenance in
//! `services/core/tests/fixtures/model/README.md`): the binary must reproduce every RPL_THEMES.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn lighed(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lighed"))
        .args(args)
        .output()
        .expect("run lighed")
}

fn table(text: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_reader(text);
    let h = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|x| x.unwrap().iter().map(String::from).collect())
        .collect();
    (h, rows)
}

fn col(h: &[String], name: &str) -> usize {
    h.iter()
        .position(|c| c == name)
        .unwrap_or_else(|| panic!("no column {name}"))
}

#[test]
fn svi_2020_reproduces_cdc_through_the_cli() {
    let fixture = repo().join("services/core/tests/fixtures/model/svi2020_pa_county_cdc.csv");
    let input = std::fs::read(&fixture).unwrap();
    let (ih, irows) = table(&input);
    // lighed's input id column is area_code: rename FIPS.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pa.csv");
    let mut w = csv::Writer::from_path(&path).unwrap();
    let fips = col(&ih, "FIPS");
    let mut header = ih.clone();
    header[fips] = "area_code".into();
    w.write_record(&header).unwrap();
    for r in &irows {
        w.write_record(r).unwrap();
    }
    w.flush().unwrap();

    let o = lighed(&[
        "score",
        "--model",
        "svi-2020",
        "--input",
        path.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (oh, orows) = table(&o.stdout);
    assert_eq!(oh[0], "area_code");
    assert_eq!(orows.len(), irows.len());
    let (want, got) = (col(&ih, "RPL_THEMES"), col(&oh, "RPL_THEMES"));
    let mut mismatches = 0;
    for (i, o) in irows.iter().zip(&orows) {
        assert_eq!(i[fips], o[0]);
        let (a, b): (f64, f64) = (i[want].parse().unwrap(), o[got].parse().unwrap());
        if (a - b).abs() > 1e-9 {
            mismatches += 1;
        }
    }
    assert_eq!(mismatches, 0);

    // With draws: the uncertainty columns, and the same seed gives the same bytes.
    let args = [
        "score",
        "--model",
        "svi-2020",
        "--input",
        path.to_str().unwrap(),
        "--draws",
        "50",
        "--seed",
        "9",
    ];
    let a = lighed(&args);
    assert!(a.status.success(), "{}", String::from_utf8_lossy(&a.stderr));
    assert_eq!(a.stdout, lighed(&args).stdout);
    let (h, _) = table(&a.stdout);
    for c in [
        "rank_median",
        "rank_p05",
        "rank_p95",
        "p_top_k",
        "p_top_decile",
        "tie_group",
    ] {
        col(&h, c);
    }
}

#[test]
fn score_errors_and_validate() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "area_code,EP_POV150\n1,abc\n").unwrap();
    let o = lighed(&[
        "score",
        "--model",
        "svi-2020",
        "--input",
        bad.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(o.stdout.is_empty());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("bad.csv") && err.contains("line 2") && err.contains("not a number"),
        "{err}"
    );

    let o = lighed(&[
        "score",
        "--model",
        "no-such-model",
        "--input",
        bad.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("shipped models"));

    let ok = lighed(&[
        "models",
        "validate",
        repo()
            .join("models/rm-health-inequality-v1.toml")
            .to_str()
            .unwrap(),
    ]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).starts_with("ok: rm-health-inequality-v1"));

    let broken = dir.path().join("m.toml");
    std::fs::write(
        &broken,
        "[model]\nname = \"x\"\nversion = \"1\"\nbogus = 3\n",
    )
    .unwrap();
    let o = lighed(&["models", "validate", broken.to_str().unwrap()]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains(":4:") && err.contains("bogus"), "{err}");
}
