//! `lighed import` and `lighed datasets` on a fresh data directory: a good file, a rejected
//! file (every error with file:line:column, database unchanged), and SIGKILL in the middle of a
//! large import (no partial dataset afterwards, integrity check passes).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Datasets a fresh data directory holds: the SYNTHETIC demo extracts imported on first start.
const DEMO: usize = lighed::bundle::DEMO_FILES.len();

fn lighed(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lighed"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("LIGHED_DATABASE_URL")
        .output()
        .expect("run lighed")
}

fn datasets(data_dir: &Path) -> Vec<serde_json::Value> {
    let o = lighed(data_dir, &["datasets", "list", "--all", "--format", "json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice::<serde_json::Value>(&o.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

async fn store_facts(data_dir: &Path) -> (i64, String, bool) {
    let url = format!("sqlite:{}", data_dir.join("lighed.db").display());
    let store = lighed_store::Store::connect(&url).await.unwrap();
    let facts = (
        store.observation_count().await.unwrap(),
        store.content_digest().await.unwrap(),
        store.integrity_ok().await.unwrap(),
    );
    store.close().await;
    facts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_good_and_bad_files() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    assert_eq!(datasets(&data).len(), DEMO, "the demo extracts");
    let (_, digest, ok) = store_facts(&data).await;
    assert!(ok);

    // Rejected: every error listed as file:line:column, exit code 2, nothing written.
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "area_code;indicator;period;numerator;denominator\n\
         7240;daily_smoking;2026;abc;250\n\
         7241;daily_smoking;2026;1,5;250\n\
         7242;no_such_indicator;2026;1;250\n",
    )
    .unwrap();
    let o = lighed(&data, &["import", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
    let err = String::from_utf8_lossy(&o.stderr);
    for at in ["bad.csv:2:4", "bad.csv:3:4", "bad.csv:4:2"] {
        assert!(err.contains(at), "missing {at} in: {err}");
    }
    assert_eq!(
        store_facts(&data).await.1,
        digest,
        "a rejected file changed the database"
    );

    // Accepted, then the same bytes again.
    let good = dir.path().join("good.csv");
    std::fs::write(
        &good,
        "area_code;indicator;period;numerator;denominator\n7240;daily_smoking;2026;31;250\n",
    )
    .unwrap();
    let o = lighed(
        &data,
        &["import", good.to_str().unwrap(), "--output", "json"],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let id = v[0]["id"].as_i64().unwrap();
    assert_eq!(v[0]["status"], "active");
    assert_eq!(v[0]["row_count"], 1);
    let o = lighed(
        &data,
        &["import", good.to_str().unwrap(), "--output", "json"],
    );
    assert!(o.status.success());
    let again: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(again[0]["id"].as_i64(), Some(id));
    assert!(String::from_utf8_lossy(&o.stderr).contains("imported before"));
    assert_eq!(datasets(&data).len(), DEMO + 1);

    // Retire it.
    let o = lighed(
        &data,
        &["datasets", "retire", &id.to_string(), "--format", "json"],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r[0]["status"], "retired");
    let o = lighed(&data, &["datasets", "retire", &id.to_string()]);
    assert_eq!(o.status.code(), Some(2));
    let o = lighed(&data, &["datasets", "show", "424242"]);
    assert_eq!(o.status.code(), Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_a_large_import_leaves_no_partial_dataset() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    assert_eq!(datasets(&data).len(), DEMO);
    let (observations, digest, _) = store_facts(&data).await;

    // ~1.2 million valid rows: 600 parishes × 2,000 segments.
    let big = dir.path().join("big.csv");
    {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&big).unwrap());
        writeln!(
            w,
            "area_code;indicator;period;numerator;denominator;age_band;sex;segment"
        )
        .unwrap();
        for area in 7240..7840 {
            for seg in 0..2000 {
                writeln!(
                    w,
                    "{area};daily_smoking;2026;{};{};;;s{seg}",
                    seg % 50,
                    100 + seg % 50
                )
                .unwrap();
            }
        }
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_lighed"))
        .arg("--data-dir")
        .arg(&data)
        .args(["import", big.to_str().unwrap()])
        .env_remove("LIGHED_DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait (bounded) until the import has written a good part of its transaction to the WAL.
    let wal = data.join("lighed.db-wal");
    let start = Instant::now();
    let mut outcome: Option<Result<(), std::process::ExitStatus>> = None;
    while start.elapsed() < Duration::from_secs(120) {
        if let Some(status) = child.try_wait().unwrap() {
            outcome = Some(Err(status));
            break;
        }
        if std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0) > 8 * 1024 * 1024 {
            child.kill().unwrap(); // SIGKILL
            outcome = Some(Ok(()));
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    match outcome {
        Some(Ok(())) => {}
        Some(Err(status)) => {
            panic!("the import finished ({status}) before it could be killed; make the file larger")
        }
        None => panic!("the import never got going"),
    }

    // After restart: the same datasets, the same rows, a sound database.
    let after = datasets(&data);
    assert_eq!(after.len(), DEMO, "{after:?}");
    assert!(after.iter().all(|d| d["status"] == "active"));
    let (obs_after, digest_after, ok) = store_facts(&data).await;
    assert!(ok, "integrity check failed");
    assert_eq!(obs_after, observations);
    assert_eq!(digest_after, digest);
}
