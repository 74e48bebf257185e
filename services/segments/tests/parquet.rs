//! Parquet microdata (issue 6: "streamed from CSV or Parquet"): a Parquet file aggregates to the
//! same counts as the equivalent CSV (row groups split among any number of threads, typed and
//! nullable columns), and is rejected like CSV for a CPR-like column or an impossible age, with
//! the data row named.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use lighed_segments::{
    AggregateOptions, Definitions, MicrodataErrorKind, SegmentCounts, aggregate_file,
    csv_to_parquet, is_parquet,
};
use parquet::basic::{Repetition, Type as PhysicalType};
use parquet::data_type::{BoolType, ByteArray, ByteArrayType, Int32Type, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::Type as SchemaType;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

const DEFS: &str = r#"
[definitions]
name = "parquet-test"
version = "1"
description = "three segments over age, education, origin and two flags"

[flags.neet]
label = "not in employment, education or training"
source = "test"

[flags.alone]
label = "lives alone"
source = "test"

[[segments]]
id = "neet_16_24"
label = "NEET 16-24"
description = "young people outside work and education"
base_label = "residents aged 16-24"
base = { age = [16, 24] }
conditions = { all_flags = ["neet"] }

[[segments]]
id = "alone_65"
label = "65+ alone"
description = "older people living alone"
base_label = "residents aged 65+"
base = { age = [65, 125] }
conditions = { all_flags = ["alone"] }

[[segments]]
id = "basic_nonwestern"
label = "basic education, non-Western origin, 25-64"
description = "test"
base_label = "residents aged 25-64"
base = { age = [25, 64] }
conditions = { education = ["basic"], origin = ["non_western"] }
"#;

fn defs() -> Definitions {
    Definitions::from_toml("parquet-test.toml", DEFS).unwrap()
}

fn opts(threads: usize) -> AggregateOptions<'static> {
    AggregateOptions {
        threads,
        progress: None,
    }
}

/// Random microdata as CSV text (education and origin sometimes empty = unknown).
fn random_csv(rows: usize, seed: u64) -> String {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut s = String::from("area_code,age,sex,education,origin,neet,alone\n");
    for _ in 0..rows {
        let area = ["101", "147", "7240", "657-B01"][rng.random_range(0..4)];
        let edu = ["", "1", "2", "3"][rng.random_range(0..4)];
        let origin = ["", "1", "2", "3"][rng.random_range(0..4)];
        s.push_str(&format!(
            "{area},{},{},{edu},{origin},{},{}\n",
            rng.random_range(0..=110u32),
            rng.random_range(1..=2u32),
            rng.random_range(0..=1u32),
            rng.random_range(0..=1u32),
        ));
    }
    s
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::File::create(&p)
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    p
}

fn counts(path: &Path, threads: usize) -> SegmentCounts {
    aggregate_file(path, &defs(), &opts(threads)).unwrap().0
}

#[test]
fn parquet_aggregates_to_the_counts_of_the_same_csv() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(dir.path(), "people.csv", &random_csv(5_000, 6));
    let expected = counts(&csv, 1);
    assert_eq!(expected.areas().len(), 4);
    // Row groups of 777 rows (the last one short), read by 1 to 4 threads; also a file whose
    // name says nothing (detected by the magic bytes).
    let pq = dir.path().join("people.parquet");
    assert_eq!(csv_to_parquet(&csv, &pq, 777).unwrap(), 5_000);
    let bare = dir.path().join("people.data");
    std::fs::copy(&pq, &bare).unwrap();
    assert!(is_parquet(&pq) && is_parquet(&bare) && !is_parquet(&csv));
    for threads in 1..=4 {
        let (c, summary) = aggregate_file(&pq, &defs(), &opts(threads)).unwrap();
        assert_eq!(c, expected, "{threads} threads");
        assert_eq!(summary.rows, 5_000);
        assert_eq!(summary.areas, 4);
        assert!(summary.threads >= 1 && summary.threads <= threads);
    }
    assert_eq!(counts(&bare, 2), expected);
}

/// A Parquet file written column by column with the parquet crate: typed columns (an INT32 area
/// code, INT64 age, string sex, BOOLEAN flags, nullable education and origin).
fn write_typed(path: &Path, rows: &[Row]) {
    let col = |name: &str, ty: PhysicalType, rep: Repetition| {
        Arc::new(
            SchemaType::primitive_type_builder(name, ty)
                .with_repetition(rep)
                .build()
                .unwrap(),
        )
    };
    let schema = SchemaType::group_type_builder("people")
        .with_fields(vec![
            col("area_code", PhysicalType::INT32, Repetition::REQUIRED),
            col("age", PhysicalType::INT64, Repetition::REQUIRED),
            col("sex", PhysicalType::BYTE_ARRAY, Repetition::REQUIRED),
            col("education", PhysicalType::INT32, Repetition::OPTIONAL),
            col("origin", PhysicalType::INT32, Repetition::OPTIONAL),
            col("neet", PhysicalType::BOOLEAN, Repetition::REQUIRED),
            col("alone", PhysicalType::BOOLEAN, Repetition::REQUIRED),
        ])
        .build()
        .unwrap();
    let file = std::fs::File::create(path).unwrap();
    let mut w = SerializedFileWriter::new(
        file,
        Arc::new(schema),
        Arc::new(WriterProperties::builder().build()),
    )
    .unwrap();
    // Two row groups.
    for part in rows.chunks(rows.len().div_ceil(2)) {
        let mut rg = w.next_row_group().unwrap();
        let mut c = rg.next_column().unwrap().unwrap();
        let v: Vec<i32> = part.iter().map(|r| r.0).collect();
        c.typed::<Int32Type>().write_batch(&v, None, None).unwrap();
        c.close().unwrap();
        let mut c = rg.next_column().unwrap().unwrap();
        let v: Vec<i64> = part.iter().map(|r| r.1).collect();
        c.typed::<Int64Type>().write_batch(&v, None, None).unwrap();
        c.close().unwrap();
        let mut c = rg.next_column().unwrap().unwrap();
        let v: Vec<ByteArray> = part.iter().map(|r| ByteArray::from(r.2)).collect();
        c.typed::<ByteArrayType>()
            .write_batch(&v, None, None)
            .unwrap();
        c.close().unwrap();
        for nullable in [
            part.iter().map(|r| r.3).collect::<Vec<_>>(),
            part.iter().map(|r| r.4).collect(),
        ] {
            let vals: Vec<i32> = nullable.iter().flatten().copied().collect();
            let defs: Vec<i16> = nullable.iter().map(|v| i16::from(v.is_some())).collect();
            let mut c = rg.next_column().unwrap().unwrap();
            c.typed::<Int32Type>()
                .write_batch(&vals, Some(&defs), None)
                .unwrap();
            c.close().unwrap();
        }
        for flags in [
            part.iter().map(|r| r.5).collect::<Vec<bool>>(),
            part.iter().map(|r| r.6).collect(),
        ] {
            let mut c = rg.next_column().unwrap().unwrap();
            c.typed::<BoolType>()
                .write_batch(&flags, None, None)
                .unwrap();
            c.close().unwrap();
        }
        rg.close().unwrap();
    }
    w.close().unwrap();
}

type Row = (i32, i64, &'static str, Option<i32>, Option<i32>, bool, bool);

fn typed_rows() -> Vec<Row> {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    (0..900)
        .map(|_| {
            let code = |rng: &mut ChaCha8Rng| {
                let c = rng.random_range(0..=3);
                (c > 0).then_some(c)
            };
            (
                [101, 147, 7240][rng.random_range(0..3)],
                rng.random_range(0..=100i64),
                ["1", "2"][rng.random_range(0..2)],
                code(&mut rng),
                code(&mut rng),
                rng.random_range(0..2) == 1,
                rng.random_range(0..2) == 1,
            )
        })
        .collect()
}

fn typed_rows_as_csv(rows: &[Row]) -> String {
    let mut s = String::from("area_code;age;sex;education;origin;neet;alone\n");
    let opt = |v: Option<i32>| v.map_or(String::new(), |v| v.to_string());
    for r in rows {
        s.push_str(&format!(
            "{};{};{};{};{};{};{}\n",
            r.0,
            r.1,
            r.2,
            opt(r.3),
            opt(r.4),
            u8::from(r.5),
            u8::from(r.6)
        ));
    }
    s
}

#[test]
fn typed_and_nullable_parquet_columns_read_like_their_csv_text() {
    let dir = tempfile::tempdir().unwrap();
    let rows = typed_rows();
    let pq = dir.path().join("typed.parquet");
    write_typed(&pq, &rows);
    let csv = write(dir.path(), "typed.csv", &typed_rows_as_csv(&rows));
    let expected = counts(&csv, 1);
    assert_eq!(expected.areas(), ["101", "147", "7240"]);
    // Not trivially equal: every segment has members.
    for s in 0..3 {
        let members: u64 = (0..3).map(|a| expected.total(a, s)[0]).sum();
        assert!(members > 0, "segment {s} has no members");
    }
    assert_eq!(counts(&pq, 1), expected);
    assert_eq!(counts(&pq, 2), expected);
}

#[test]
fn impossible_age_in_parquet_is_rejected_naming_the_row() {
    let dir = tempfile::tempdir().unwrap();
    let mut rows = typed_rows();
    rows[612].1 = 130; // row 613, in the second row group
    rows[700].1 = -1;
    let pq = dir.path().join("bad-age.parquet");
    write_typed(&pq, &rows);
    for threads in [1, 2] {
        let e = aggregate_file(&pq, &defs(), &opts(threads)).unwrap_err();
        assert!(e.counts_rows);
        assert_eq!(e.line, 613, "{threads} threads");
        assert!(
            matches!(e.kind, MicrodataErrorKind::ImpossibleAge { ref value } if value == "130"),
            "{:?}",
            e.kind
        );
        assert!(e.to_string().contains("bad-age.parquet:row 613:"), "{e}");
    }
}

#[test]
fn parquet_with_a_cpr_like_column_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(
        dir.path(),
        "cpr.csv",
        "area_code,cpr_nr,age,sex,neet,alone\n101,1234,30,1,0,0\n",
    );
    let pq = dir.path().join("cpr.parquet");
    csv_to_parquet(&csv, &pq, 10).unwrap();
    let e = aggregate_file(&pq, &defs(), &opts(2)).unwrap_err();
    assert!(
        matches!(e.kind, MicrodataErrorKind::CprColumn { ref column } if column == "cpr_nr"),
        "{:?}",
        e.kind
    );
    // A CPR-like area code value is rejected too, with its row.
    let csv = write(
        dir.path(),
        "cprvalue.csv",
        "area_code,age,sex,education,origin,neet,alone\n101,30,1,1,1,0,0\n0101901234,30,1,1,1,0,0\n",
    );
    let pq = dir.path().join("cprvalue.parquet");
    csv_to_parquet(&csv, &pq, 10).unwrap();
    let e = aggregate_file(&pq, &defs(), &opts(1)).unwrap_err();
    assert_eq!(e.line, 2, "{e}");
    assert!(
        matches!(e.kind, MicrodataErrorKind::CprValue { .. }),
        "{:?}",
        e.kind
    );
}

#[test]
fn a_file_named_parquet_that_is_not_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "fake.parquet", "");
    let e = aggregate_file(&p, &defs(), &opts(1)).unwrap_err();
    assert!(
        matches!(e.kind, MicrodataErrorKind::Parquet { .. }),
        "{:?}",
        e.kind
    );
}
