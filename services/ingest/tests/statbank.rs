//! StatBank features: presentations, languages, selections, table inference, content type,
//! BULK semantics, periods.

mod common;

use common::*;
use lighed_core::obs::MissingReason;
use lighed_ingest::{ImportOptions, Lang, Presentation, Registry};

const FOLK1A: &str = "OMRÅDE;KØN;ALDER;CIVILSTAND;TID;INDHOLD\n";

fn statbank(body: &str) -> Vec<u8> {
    format!("{FOLK1A}{body}").into_bytes()
}

#[test]
fn code_and_value_presentation_uses_the_code_and_checks_the_text() {
    // Shapes from DANISH-DATA.md §1.3 ("751 Aarhus", "2026K1 2026Q1").
    let bytes = statbank(
        "000 Hele landet;TOT I alt;IALT Alder i alt;TOT I alt;2020K1 2020K1;5822763\n\
         751 Aarhus;1 Mænd;0 0 år;TOT I alt;2020K1 2020K1;1234\n\
         751 Aarhus;2 Kvinder;100OV 100 år og derover;TOT I alt;2020K1 2020K1;12\n",
    );
    let (obs, s) =
        read("cav.csv", &bytes, &ImportOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.presentation, Some(Presentation::CodeAndValue));
    assert_eq!(value(&obs, "000", "2020K1", "", ""), Some(5_822_763.0));
    assert_eq!(value(&obs, "751", "2020K1", "0", "1"), Some(1234.0));
    assert_eq!(value(&obs, "751", "2020K1", "100+", "2"), Some(12.0));

    let en = statbank("751 Aarhus;1 Men;0 0 years;TOT Total;2026K1 2026Q1;1234\n");
    let (obs, _) = read("cav_en.csv", &en, &lang(Lang::En)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(obs[0].period, "2026K1");

    let bad = statbank("751 Herning;1 Mænd;0 0 år;TOT I alt;2020K1 2020K1;1\n");
    let e = only_error(read("cav.csv", &bad, &ImportOptions::default()));
    assert_at(&e, "code_text_mismatch", 2, 1);
    assert!(e.to_string().contains("657"), "{e}");
}

#[test]
fn code_presentation_rejects_texts() {
    let bytes = statbank("751;1;0;TOT;2020K1;5\nAarhus;1;0;TOT;2020K1;5\n");
    let e = only_error(read("code.csv", &bytes, &ImportOptions::default()));
    assert_at(&e, "unknown_code", 3, 1);
    // Forced presentation: texts in a file declared Code are errors from the first row.
    let opts = ImportOptions {
        presentation: Some(Presentation::Code),
        ..Default::default()
    };
    let err = read(
        "v.csv",
        &statbank("Aarhus;Mænd;0 år;I alt;2020K1;5\n"),
        &opts,
    )
    .unwrap_err();
    assert_eq!(err.total, 4, "{err}");
}

#[test]
fn rows_outside_the_selection_are_skipped_not_stored() {
    let bytes =
        statbank("751;TOT;IALT;TOT;2020K1;10\n751;TOT;IALT;U;2020K1;4\n751;TOT;IALT;G;2020K1;6\n");
    let (obs, s) = read("sel.csv", &bytes, &ImportOptions::default()).unwrap();
    assert_eq!(obs.len(), 1);
    assert_eq!((s.rows_read, s.rows_skipped), (3, 2));
    // Suppressed and empty cells are observations with a reason, never 0.
    let bytes = statbank("751;TOT;IALT;TOT;2020K1;..\n657;TOT;IALT;TOT;2020K1;\n");
    let (obs, s) = read("miss.csv", &bytes, &ImportOptions::default()).unwrap();
    assert_eq!(obs[0].missing, Some(MissingReason::Suppressed));
    assert_eq!(obs[1].missing, Some(MissingReason::Empty));
    assert!(obs.iter().all(|o| o.numerator.is_none()));
    assert_eq!((s.missing_suppressed, s.missing_empty), (1, 1));
}

#[test]
fn negative_count_is_rejected() {
    let e = only_error(read(
        "neg.csv",
        &statbank("751;TOT;IALT;TOT;2020K1;-5\n"),
        &ImportOptions::default(),
    ));
    assert_at(&e, "negative", 2, 6);
}

#[test]
fn table_is_inferred_or_must_be_given() {
    let e = only_error(read(
        "km1.csv",
        b"SOGN;FKMED;TID;INDHOLD\n7002;F;2026K1;1\n",
        &ImportOptions::default(),
    ));
    assert_at(&e, "table_required", 1, 1);
    let opts = ImportOptions {
        table: Some("km1".into()),
        ..Default::default()
    };
    let e = only_error(read(
        "km1.csv",
        b"SOGN;FKMED;TID;INDHOLD\n7002;F;2026K1;1\n",
        &opts,
    ));
    assert_at(&e, "unknown_table", 1, 1);
    assert!(e.to_string().contains("KM1"), "{e}");
    let opts = ImportOptions {
        table: Some("FOLK1A".into()),
        ..Default::default()
    };
    let e = only_error(read(
        "h.csv",
        "OMRÅDE;HERKOMST;TID;INDHOLD\n751;TOT;2020K1;1\n".as_bytes(),
        &opts,
    ));
    assert_at(&e, "no_mapping", 1, 1);
    assert!(e.to_string().contains("column HERKOMST is not used"), "{e}");
}

fn km1_registry() -> Registry {
    Registry::from_toml_str(
        r#"
        schema = 1
        [indicators.church_members]
        label = { da = "Folkekirkemedlemmer", en = "Church members" }
        unit = "persons"
        kind = "count"
        direction = "neutral"
        numerator = "members of the Church of Denmark"
        source = "test"
        [[statbank]]
        table = "KM1"
        indicator = "church_members"
        area = "SOGN"
        select = { FKMED = "F" }
        content_type = ["Antal", "Number"]
        [[statbank]]
        table = "SEL"
        indicator = "church_members"
        area = "SOGN"
        select = { CIVILSTAND = "G" }
        "#,
        "test.toml",
    )
    .unwrap()
}

#[test]
fn content_type_column_is_selected_by_text() {
    // Header shape from DANISH-DATA.md §1.3: SOGN;FKMED;TID;CONTENT_TYPE;INDHOLD.
    let bytes = b"SOGN;FKMED;TID;CONTENT_TYPE;INDHOLD\n7002;F;2026K1;Number;1234\n7002;F;2026K1;Percentage;48.58\n7002;U;2026K1;Number;1000\n";
    let (obs, s) = read_with("km1.csv", bytes, &lang(Lang::En), &km1_registry())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.table.as_deref(), Some("KM1"));
    assert_eq!(obs.len(), 1);
    assert_eq!(
        (obs[0].area_code.as_str(), obs[0].numerator),
        ("7002", Some(1234.0))
    );
    assert_eq!(s.rows_skipped, 2);
    // No content type in the export: this mapping needs none to be *absent*, so it still fits.
    let (obs, _) = read_with(
        "km1.csv",
        b"SOGN;FKMED;TID;INDHOLD\n7002;F;2026K1;5\n",
        &ImportOptions::default(),
        &km1_registry(),
    )
    .unwrap();
    assert_eq!(obs.len(), 1);
    // A selection of a non-total value of a variable the export lacks cannot be honoured.
    let opts = ImportOptions {
        table: Some("SEL".into()),
        ..Default::default()
    };
    let e = only_error(read_with(
        "sel.csv",
        b"SOGN;TID;INDHOLD\n7002;2026K1;5\n",
        &opts,
        &km1_registry(),
    ));
    assert_at(&e, "no_mapping", 1, 1);
    assert!(e.to_string().contains("CIVILSTAND=G is selected"), "{e}");
}

#[test]
fn bulk_fills_absent_combinations_with_zero_and_keeps_empty_cells_missing() {
    let bytes =
        "OMRÅDE;KØN;TID;INDHOLD\n751;1;2020K1;5\n751;2;2020K1;\n657;1;2020K1;3\n".as_bytes();
    let (plain, s) = read("bulk.csv", bytes, &ImportOptions::default()).unwrap();
    assert_eq!((plain.len(), s.bulk_zero_filled), (3, 0));
    let opts = ImportOptions {
        bulk: true,
        ..Default::default()
    };
    let (obs, s) = read("bulk.csv", bytes, &opts).unwrap();
    assert_eq!(obs.len(), 4);
    assert_eq!(s.bulk_zero_filled, 1);
    assert_eq!(
        value(&obs, "657", "2020K1", "", "2"),
        Some(0.0),
        "absent combination = 0"
    );
    let empty = obs
        .iter()
        .find(|o| o.area_code == "751" && o.sex == "2")
        .unwrap();
    assert_eq!(
        empty.missing,
        Some(MissingReason::Empty),
        "present but empty = missing"
    );
}

#[test]
fn bulk_refuses_an_explosive_fill() {
    // 126 rows with distinct areas, ages and periods: 126³ ≈ 2.0 M combinations > 10 × 126 + 1 M.
    let mut body = String::new();
    for i in 0..126 {
        body.push_str(&format!("{};1;{i};TOT;{};1\n", 100 + i, 1900 + i));
    }
    let opts = ImportOptions {
        bulk: true,
        ..Default::default()
    };
    let e = only_error(read("big.csv", &statbank(&body), &opts));
    assert_at(&e, "bulk_fill_too_large", 1, 1);
}

#[test]
fn every_period_form_is_read() {
    let bytes = b"TID;INDHOLD\n2020;1\n2020K2;2\n2020M01;3\n2020U05;4\n2007M01D01;5\n";
    let (_, s) = read("p.csv", bytes, &ImportOptions::default()).unwrap();
    assert_eq!(
        s.periods,
        ["2007M01D01", "2020", "2020K2", "2020M01", "2020U05"]
    );
    let e = only_error(read(
        "p.csv",
        b"TID;INDHOLD\n2020K5;1\n",
        &ImportOptions::default(),
    ));
    assert_at(&e, "invalid_period", 2, 1);
}

#[test]
fn english_decimals_and_danish_decimals() {
    let (obs, _) = read("en.csv", b"TID;INDHOLD\n2020;48.58\n", &lang(Lang::En)).unwrap();
    assert_eq!(obs[0].numerator, Some(48.58));
    let (obs, _) = read(
        "da.csv",
        b"TID;INDHOLD\n2020;48,58\n",
        &ImportOptions::default(),
    )
    .unwrap();
    assert_eq!(obs[0].numerator, Some(48.58));
}

#[test]
fn reader_is_send_so_the_store_can_run_it_on_a_blocking_thread() {
    fn assert_send<T: Send>() {}
    assert_send::<lighed_ingest::Reader<std::fs::File>>();
    assert_send::<lighed_ingest::Reader<Box<dyn std::io::Read + Send>>>();
}

#[test]
fn bytes_parsed_tracks_progress_to_the_file_size() {
    let bytes = statbank("751;TOT;IALT;TOT;2020K1;10\n657;TOT;IALT;TOT;2020K1;4\n");
    let registry = registry();
    let mut reader = lighed_ingest::Reader::new(
        "p.csv",
        bytes.as_slice(),
        &ImportOptions::default(),
        &registry,
    )
    .unwrap();
    let start = reader.bytes_parsed();
    assert!(
        start > 0 && start < bytes.len() as u64,
        "header parsed: {start}"
    );
    while reader.next_batch(1).is_some() {}
    assert_eq!(reader.bytes_parsed(), bytes.len() as u64);
}

#[test]
fn a_header_that_fits_several_tables_needs_the_table() {
    let toml = r#"
        schema = 1
        [indicators.people]
        label = { da = "Folk", en = "People" }
        unit = "persons"
        kind = "count"
        direction = "neutral"
        numerator = "persons"
        source = "test"
        [[statbank]]
        table = "AAA1"
        indicator = "people"
        area = "OMRÅDE"
        [[statbank]]
        table = "BBB2"
        indicator = "people"
        area = "OMRÅDE"
    "#;
    let registry = Registry::from_toml_str(toml, "t.toml").unwrap();
    let bytes = "OMRÅDE;TID;INDHOLD\n751;2020;1\n".as_bytes();
    let e = only_error(read_with(
        "t.csv",
        bytes,
        &ImportOptions::default(),
        &registry,
    ));
    assert_at(&e, "table_required", 1, 1);
    assert!(e.to_string().contains("several tables (AAA1, BBB2)"), "{e}");
    let opts = ImportOptions {
        table: Some("BBB2".into()),
        ..Default::default()
    };
    let (_, s) = read_with("t.csv", bytes, &opts, &registry).unwrap();
    assert_eq!(s.table.as_deref(), Some("BBB2"));
}
