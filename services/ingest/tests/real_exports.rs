//! Every real export saved for the project parses, with the published numbers.
//! Sources of the files and of the expected numbers: tests/fixtures/SOURCES.md and
//! data/SOURCES.md (razz7/python_handin FOLK1A.csv, raulorteg/StochasticSimulation FOLK1A.csv,
//! rOpenGov/dkstat data-raw/komgrp.csv).

mod common;

use common::*;
use lighed_core::obs::Observation;
use lighed_ingest::{
    EncodingChoice, Format, ImportOptions, Lang, Presentation, TextEncoding, read_classification,
};

const DA: &str = "dst_folk1a_da_text_hele_landet_2008K1-2020K4.csv";
const EN: &str = "dst_folk1a_en_text_hele_landet_2021Q2_age_sex.csv";

#[test]
fn folk1a_danish_text_export_gives_the_published_national_totals() {
    let (obs, s) =
        read(DA, &fixture(DA), &ImportOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.format, Format::StatBank);
    assert_eq!(s.table.as_deref(), Some("FOLK1A"));
    assert_eq!(s.presentation, Some(Presentation::Value));
    assert_eq!(s.encoding.encoding, TextEncoding::Utf8);
    assert!(!s.encoding.bom);
    assert_eq!(s.rows_read, 52);
    assert_eq!(obs.len(), 52, "2008K1..2020K4");
    assert!(
        obs.iter()
            .all(|o| o.area_code == "000" && o.indicator == "population")
    );
    assert!(
        obs.iter()
            .all(|o| o.age_band.is_empty() && o.sex.is_empty() && o.missing.is_none())
    );
    // Published totals quoted in /work/shared/data/README.md and DANISH-DATA.md.
    assert_eq!(value(&obs, "000", "2010K1", "", ""), Some(5_534_738.0));
    assert_eq!(value(&obs, "000", "2019K1", "", ""), Some(5_806_081.0));
    assert_eq!(value(&obs, "000", "2020K1", "", ""), Some(5_822_763.0));
    assert_eq!(value(&obs, "000", "2008K1", "", ""), Some(5_475_791.0));
    assert_eq!(s.periods.first().map(String::as_str), Some("2008K1"));
    assert_eq!(s.periods.last().map(String::as_str), Some("2020K4"));
    assert_eq!(s.groups_without_total, 0);
    // sha256sum of the fixture (computed with coreutils).
    assert_eq!(
        s.sha256,
        "40246f2a2b6d554a44a6dd076b991061c0e42b2b6f5aed9c0232ea5cbebb58d1"
    );
    assert_eq!(s.bytes_read, 1747);
}

#[test]
fn folk1a_english_bom_export_parses_quarters_and_age_texts() {
    let (obs, s) = read(EN, &fixture(EN), &lang(Lang::En)).unwrap_or_else(|e| panic!("{e}"));
    assert!(s.encoding.bom, "the file starts with a UTF-8 BOM");
    assert_eq!(s.presentation, Some(Presentation::Value));
    assert_eq!(
        s.periods,
        vec!["2021K2".to_string()],
        "2021Q2 is stored as 2021K2"
    );
    assert_eq!(obs.len(), 222, "ages 0-110 x Men/Women");
    // First and last rows of the file: "2021Q2;0 years;Men;31649", "2021Q2;110 years;Women;1".
    assert_eq!(value(&obs, "000", "2021K2", "0", "1"), Some(31_649.0));
    assert_eq!(value(&obs, "000", "2021K2", "0", "2"), Some(30_016.0));
    assert_eq!(
        value(&obs, "000", "2021K2", "1", "1"),
        Some(31_863.0),
        "\"1 year\""
    );
    assert_eq!(value(&obs, "000", "2021K2", "110", "2"), Some(1.0));
    assert_eq!(value(&obs, "000", "2021K2", "109", "1"), Some(0.0));
    // The export has no total row, and the reader does not sum ages into one.
    assert_eq!(value(&obs, "000", "2021K2", "", ""), None);
    assert_eq!(s.groups_without_total, 1);
    assert_eq!(s.indicators_without_total, vec!["population".to_string()]);
}

#[test]
fn english_export_read_as_danish_is_rejected_with_a_hint() {
    let err = read(EN, &fixture(EN), &ImportOptions::default()).unwrap_err();
    let first = &err.errors[0];
    assert_at(first, "unmapped_text", 2, 2);
    assert!(first.to_string().contains("lang=en"), "{first}");
    assert!(err.total >= 222, "every row is reported: {}", err.total);
    assert_eq!(err.errors.len(), 100, "capped at 100");
}

#[test]
fn komgrp_classification_with_bom_and_crlf_yields_98_municipalities() {
    let bytes =
        std::fs::read(repo_root().join("services/ingest/data/dst_classification_komgrp.csv"))
            .unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF") && bytes.windows(2).any(|w| w == b"\r\n"));
    let c = read_classification("komgrp.csv", bytes.as_slice(), EncodingChoice::Auto)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(c.encoding.bom);
    assert_eq!(c.level(1).count(), 5, "five municipality groups");
    let municipalities: Vec<_> = c.level(2).collect();
    assert_eq!(municipalities.len(), 98);
    let find = |code: &str| {
        municipalities
            .iter()
            .find(|i| i.code == code)
            .map(|i| i.title.as_str())
    };
    assert_eq!(find("101"), Some("København"));
    assert_eq!(find("751"), Some("Aarhus"));
    assert_eq!(find("657"), Some("Herning"));
    assert_eq!(find("760"), Some("Ringkøbing-Skjern"));
    // No title keeps a CR from the CRLF line ends.
    assert!(c.items.iter().all(|i| !i.title.contains('\r')));
}

#[test]
fn rm_municipalities_agree_with_komgrp() {
    let rm =
        std::fs::read_to_string(repo_root().join("services/ingest/data/rm_kommuner.csv")).unwrap();
    let vocab = lighed_ingest::vocab::Vocabulary::bundled().unwrap();
    let mut n = 0;
    for line in rm.lines().skip(1) {
        let mut f = line.split(';');
        let (code, name) = (f.next().unwrap(), f.next().unwrap());
        assert!(
            vocab
                .municipalities()
                .iter()
                .any(|(c, m)| c == code && m == name),
            "{code} {name}"
        );
        n += 1;
    }
    assert_eq!(n, 19);
}

fn demo(name: &str) -> Option<Vec<u8>> {
    std::fs::read(repo_root().join("data/demo").join(name)).ok()
}

#[test]
fn demo_long_format_extract_parses_completely() {
    let bytes =
        demo("indicators.csv").expect("data/demo/indicators.csv is committed by lighed-demo");
    let text = std::str::from_utf8(&bytes).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("area_code;indicator;period;numerator;denominator;age_band;sex;segment")
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(';').collect()).collect();
    let (obs, s) =
        read("indicators.csv", &bytes, &ImportOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.format, Format::Long);
    assert_eq!(s.delimiter, ';');
    assert_eq!(obs.len(), rows.len());
    assert_eq!(s.periods, ["2021", "2022", "2023", "2024", "2025"]);
    let registry = registry();
    for id in &s.indicators {
        assert!(registry.indicator(id).is_some());
    }
    assert_eq!(
        s.indicators.len(),
        17,
        "every demo indicator id: {:?}",
        s.indicators
    );
    // Row by row against a plain split of the same lines.
    for (o, r) in obs.iter().zip(&rows) {
        let expected = Observation {
            area_code: r[0].into(),
            indicator: r[1].into(),
            period: r[2].into(),
            numerator: (!r[3].is_empty()).then(|| r[3].parse().unwrap()),
            denominator: (!r[4].is_empty()).then(|| r[4].parse().unwrap()),
            age_band: r[5].into(),
            sex: r[6].into(),
            segment: r[7].into(),
            missing: r[3]
                .is_empty()
                .then_some(lighed_core::obs::MissingReason::Empty),
        };
        assert_eq!(o, &expected);
    }
    let empty = rows.iter().filter(|r| r[3].is_empty()).count() as u64;
    assert_eq!(s.missing_empty, empty);
    assert!(empty > 0, "the demo has missing cells");
}

#[test]
fn demo_long_format_reads_the_same_with_comma_delimiter() {
    // The first 3,000 lines keep the debug-build test fast.
    let bytes = demo("indicators.csv").expect("demo file");
    let text = String::from_utf8(bytes).unwrap();
    let head: String = text.lines().take(3_000).flat_map(|l| [l, "\n"]).collect();
    let comma = head.replace(';', ",");
    let (a, _) = read("a.csv", head.as_bytes(), &ImportOptions::default()).unwrap();
    let (b, s) = read("b.csv", comma.as_bytes(), &ImportOptions::default()).unwrap();
    assert_eq!(s.delimiter, ',');
    assert_eq!(a.len(), 2_999);
    assert_eq!(a, b);
}

#[test]
fn demo_folk1a_code_export_parses_with_the_folk1a_mapping() {
    let bytes = demo("folk1a_population.csv").expect("data/demo/folk1a_population.csv");
    let (obs, s) = read("folk1a_population.csv", &bytes, &ImportOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.table.as_deref(), Some("FOLK1A"));
    assert_eq!(s.presentation, Some(Presentation::Code));
    assert_eq!(s.rows_read, obs.len() as u64);
    assert_eq!(s.groups_without_total, 0);
    // TOT/IALT rows become the total key; every municipality has one per year.
    let totals = obs
        .iter()
        .filter(|o| o.sex.is_empty() && o.age_band.is_empty())
        .count();
    assert_eq!(totals, 20 * 5, "19 municipalities + region 082, 5 years");
}
