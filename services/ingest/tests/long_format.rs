//! The generic long format: the documented example parses, and every rule of docs/formats.md §1
//! is enforced with line and column.

mod common;

use common::*;
use lighed_core::obs::MissingReason;
use lighed_ingest::ImportOptions;

const HEADER: &str = "area_code;indicator;period;numerator;denominator;age_band;sex;segment\n";

fn long(body: &str) -> Vec<u8> {
    format!("{HEADER}{body}").into_bytes()
}

fn read_long(
    body: &str,
) -> Result<
    (
        Vec<lighed_core::obs::Observation>,
        lighed_ingest::DatasetSummary,
    ),
    lighed_ingest::IngestErrors,
> {
    read("long.csv", &long(body), &ImportOptions::default())
}

#[test]
fn the_example_in_docs_formats_md_parses() {
    let doc = std::fs::read_to_string(repo_root().join("docs/formats.md")).unwrap();
    let start = doc
        .find("```text\narea_code;")
        .expect("long-format example in docs/formats.md")
        + "```text\n".len();
    let end = start + doc[start..].find("```").unwrap();
    let (obs, s) = read(
        "formats.md",
        &doc.as_bytes()[start..end],
        &ImportOptions::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(obs.len(), 5);
    assert_eq!(s.missing_suppressed, 1);
    assert_eq!(s.missing_empty, 1);
    assert_eq!(obs[1].age_band, "65-69");
    assert_eq!(obs[1].sex, "1");
}

#[test]
fn missing_and_suppressed_are_kept_with_their_reason() {
    let (obs, _) = read_long("657;daily_smoking;2025;;120;;;\n657;loneliness;2025;..;120;;;\n657;low_income;2025;10;..;;;\n").unwrap();
    assert_eq!(obs[0].missing, Some(MissingReason::Empty));
    assert_eq!(obs[0].denominator, Some(120.0));
    assert_eq!(obs[1].missing, Some(MissingReason::Suppressed));
    assert_eq!(
        (obs[2].numerator, obs[2].denominator, obs[2].missing),
        (Some(10.0), None, Some(MissingReason::Suppressed))
    );
    assert!(obs.iter().all(|o| o.numerator != Some(0.0)));
}

#[test]
fn optional_columns_may_be_left_off_from_the_right() {
    let (obs, _) = read(
        "five.csv",
        b"area_code,indicator,period,numerator,denominator\n657,population,2025Q1,89000,\n",
        &ImportOptions::default(),
    )
    .unwrap();
    assert_eq!(
        (
            obs[0].period.as_str(),
            obs[0].age_band.as_str(),
            obs[0].sex.as_str()
        ),
        ("2025K1", "", "")
    );
    let (obs, _) = read("six.csv", b"area_code;indicator;period;numerator;denominator;age_band\n657;population;2025;400;;90+\n", &ImportOptions::default()).unwrap();
    assert_eq!(obs[0].age_band, "90+");
    let e = only_error(read(
        "bad.csv",
        b"area_code;indicator;period;numerator;denominator;sex\n",
        &ImportOptions::default(),
    ));
    assert_at(&e, "unknown_header", 1, 6);
}

#[test]
fn each_rule_is_enforced_at_its_column() {
    let cases = [
        ("657;no_such_indicator;2025;1;;;;", "unknown_indicator", 2),
        ("657;population;2025-01;1;;;;", "invalid_period", 3),
        (
            "657;population;2025;1,5;;;;",
            "decimal_comma_in_long_format",
            4,
        ),
        ("657;population;2025;1e3;;;;", "not_a_number", 4),
        ("657;population;2025;-1;;;;", "negative", 4),
        (
            "657;population;2025;100;100;;;",
            "denominator_not_allowed",
            5,
        ),
        (
            "657;income_15_64_pct_region;2025;85.2;100;;;",
            "denominator_not_allowed",
            5,
        ),
        ("657;daily_smoking;2025;10;;;;", "denominator_required", 5),
        ("657;daily_smoking;2025;10;-3;;;", "negative", 5),
        (
            "657;daily_smoking;2025;30;20;;;",
            "numerator_exceeds_denominator",
            4,
        ),
        ("657;daily_smoking;2025;3;20;65 år;;", "invalid_age_band", 6),
        ("657;daily_smoking;2025;3;20;;M;", "invalid_sex", 7),
        (
            "657;daily_smoking;2025;3;20;;;two words",
            "invalid_segment",
            8,
        ),
        (";population;2025;1;;;;", "invalid_area_code", 1),
        ("6 57;population;2025;1;;;;", "invalid_area_code", 1),
    ];
    for (row, code, column) in cases {
        let e = only_error(read_long(&format!("{row}\n")));
        assert_at(&e, code, 2, column);
    }
}

#[test]
fn rates_may_exceed_one_and_values_may_be_negative_or_fractional() {
    let (obs, _) = read_long("657;preventable_admissions_65plus;2025;1500;1000;;;\n657-B01;income_15_64_pct_region;2025;-2.5;;;;\n657-B02;income_15_64_pct_region;2025;85.3;;;;\n").unwrap();
    assert_eq!(obs[0].numerator, Some(1500.0));
    assert_eq!(obs[1].numerator, Some(-2.5));
    assert_eq!(obs[2].numerator, Some(85.3));
}

#[test]
fn crlf_bom_quotes_and_spaces_are_handled() {
    let text = "\u{feff}area_code;indicator;period;numerator;denominator\r\n\"657\" ; population ; 2025 ; 89000 ; \r\n";
    let (obs, s) = read("crlf.csv", text.as_bytes(), &ImportOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(s.encoding.bom);
    assert_eq!(
        (obs[0].area_code.as_str(), obs[0].numerator),
        ("657", Some(89_000.0))
    );
}
