//! Issue 4's malformed cases: each is rejected with a message naming line and column
//! (`file:line:column: value — reason`), and nothing is accepted.

mod common;

use common::*;
use lighed_ingest::{
    EncodingChoice, Format, ImportOptions, Lang, MAX_REPORTED_ERRORS, Reader, TextEncoding,
};

const HEADER: &str = "OMRÅDE;CIVILSTAND;TID;INDHOLD\n";

fn da(body: &str) -> Vec<u8> {
    format!("{HEADER}{body}").into_bytes()
}

#[test]
fn truncated_line_is_rejected_at_its_first_missing_field() {
    let e = only_error(read(
        "t.csv",
        &da("Hele landet;I alt;2008K1;5475791\nHele landet;I alt;2008K2\n"),
        &ImportOptions::default(),
    ));
    assert_at(&e, "wrong_column_count", 3, 4);
    assert_eq!(e.column_name.as_deref(), Some("INDHOLD"));
    assert_eq!(e.value, "Hele landet;I alt;2008K2");
    // A truncated last line without a line end, and a line cut inside a quoted field.
    let e = only_error(read(
        "t.csv",
        &da("Hele landet;I alt;2008K1;5475791\nHele landet;I a"),
        &ImportOptions::default(),
    ));
    assert_at(&e, "wrong_column_count", 3, 3);
    let e = only_error(read(
        "t.csv",
        &da("Hele landet;I alt;2008K1;5475791\n\"Hele landet;I alt"),
        &ImportOptions::default(),
    ));
    assert_at(&e, "wrong_column_count", 3, 2);
}

#[test]
fn wrong_column_count_is_rejected() {
    let e = only_error(read(
        "w.csv",
        &da("Hele landet;I alt;2008K1;5475791;7\n"),
        &ImportOptions::default(),
    ));
    assert_at(&e, "wrong_column_count", 2, 5);
    assert!(
        e.to_string()
            .contains("the row has 5 fields, the header has 4"),
        "{e}"
    );
    let long = "area_code;indicator;period;numerator;denominator\n657;population;2025;89000\n";
    let e = only_error(read("l.csv", long.as_bytes(), &ImportOptions::default()));
    assert_at(&e, "wrong_column_count", 2, 5);
}

#[test]
fn unknown_header_is_rejected() {
    let e = only_error(read("u.csv", b"foo;bar\n1;2\n", &ImportOptions::default()));
    assert_at(&e, "unknown_header", 1, 1);
    let e = only_error(read(
        "u.csv",
        b"area_code;indicatr;period;numerator;denominator\n",
        &ImportOptions::default(),
    ));
    assert_at(&e, "unknown_header", 1, 2);
    assert!(e.to_string().contains("column 2 must be indicator"), "{e}");
    let e = only_error(read(
        "u.csv",
        b"area_code;indicator;period\n",
        &ImportOptions::default(),
    ));
    assert_at(&e, "unknown_header", 1, 3);
    let e = only_error(read(
        "u.csv",
        b"OMR\xC3\x85DE;TID;VALUE\n",
        &ImportOptions {
            format: Some(Format::StatBank),
            ..Default::default()
        },
    ));
    assert_at(&e, "unknown_header", 1, 3);
    let e = only_error(read(
        "u.csv",
        b"OMR\xC3\x85DE;KOMMUNE;INDHOLD\n000;000;1\n",
        &ImportOptions::default(),
    ));
    assert_at(&e, "unknown_header", 1, 1);
    assert!(e.to_string().contains("TID"), "{e}");
    let e = only_error(read(
        "u.csv",
        b"TID;TID;INDHOLD\n",
        &ImportOptions::default(),
    ));
    assert_at(&e, "duplicate_column", 1, 2);
}

#[test]
fn non_number_is_rejected() {
    let e = only_error(read(
        "n.csv",
        &da("Hele landet;I alt;2008K1;12a\n"),
        &ImportOptions::default(),
    ));
    assert_at(&e, "not_a_number", 2, 4);
    assert_eq!(e.value, "12a");
    let e = only_error(read(
        "n.csv",
        &da("Hele landet;I alt;2008K1;5.475.791\n"),
        &ImportOptions::default(),
    ));
    assert_at(&e, "not_a_number", 2, 4);
    let e = only_error(read(
        "n.csv",
        &da("Hele landet;I alt;2008K1;5.5\n"),
        &ImportOptions::default(),
    ));
    assert_at(&e, "decimal_point_under_da", 2, 4);
}

#[test]
fn decimal_comma_under_en_is_rejected() {
    let file =
        "\u{feff}TID;ALDER;KØN;INDHOLD\n2021Q2;0 years;Men;31649\n2021Q2;0 years;Women;31,5\n";
    let e = only_error(read("en.csv", file.as_bytes(), &lang(Lang::En)));
    assert_at(&e, "decimal_comma_under_en", 3, 4);
    // The same number under da is fine: a decimal comma.
    let (obs, _) = read(
        "en.csv",
        "TID;KØN;INDHOLD\n2021K2;Kvinder;31,5\n".as_bytes(),
        &ImportOptions::default(),
    )
    .unwrap();
    assert_eq!(obs[0].numerator, Some(31.5));
}

#[test]
fn unmapped_text_is_rejected_never_guessed() {
    let e = only_error(read(
        "m.csv",
        &da("Gotham;I alt;2008K1;5\n"),
        &ImportOptions::default(),
    ));
    assert_at(&e, "unmapped_text", 2, 1);
    assert_eq!(e.column_name.as_deref(), Some("OMRÅDE"));
    let e = only_error(read(
        "m.csv",
        &da("Hele landet;I alt;2008K1;5\nAarhus;Single;2008K1;5\n"),
        &ImportOptions::default(),
    ));
    assert_at(&e, "unmapped_text", 3, 2);
}

#[test]
fn duplicate_key_is_rejected() {
    let e = only_error(read(
        "d.csv",
        &da("Hele landet;I alt;2008K1;5\nAarhus;I alt;2008K1;5\nHele landet;I alt;2008K1;6\n"),
        &ImportOptions::default(),
    ));
    assert_at(&e, "duplicate_key", 4, 1);
    assert!(e.to_string().ends_with("as line 2"), "{e}");
    // The same key spelled differently (2008Q1 = 2008K1) is the same key.
    let long = "area_code;indicator;period;numerator;denominator\n657;population;2025;1;\n657;population;2025;2;\n";
    let e = only_error(read("d.csv", long.as_bytes(), &ImportOptions::default()));
    assert_at(&e, "duplicate_key", 3, 1);
    let q = "TID;INDHOLD\n2008K1;1\n2008Q1;2\n";
    let e = only_error(read("q.csv", q.as_bytes(), &ImportOptions::default()));
    assert_at(&e, "duplicate_key", 3, 1);
}

#[test]
fn invalid_utf8_under_forced_utf8_is_rejected() {
    let utf8 = ImportOptions {
        encoding: EncodingChoice::Utf8,
        ..Default::default()
    };
    // Windows-1252 header (Å = 0xC5): rejected at the header.
    let e = only_error(read(
        "x.csv",
        b"OMR\xC5DE;CIVILSTAND;TID;INDHOLD\nHele landet;I alt;2008K1;5\n",
        &utf8,
    ));
    assert_at(&e, "invalid_utf8", 1, 1);
    assert!(
        e.to_string().contains("--encoding utf-8 was requested"),
        "{e}"
    );
    // A bad byte in a data row.
    let e = only_error(read(
        "x.csv",
        &da("Ringk\u{f8}bing-Skjern;I alt;2008K1;5\nAarhus;I alt;2008K2;5\n")
            .iter()
            .copied()
            .chain(b"\xF8;I alt;2008K3;5\n".iter().copied())
            .collect::<Vec<_>>(),
        &utf8,
    ));
    assert_at(&e, "invalid_utf8", 4, 1);
}

#[test]
fn windows_1252_is_detected_and_decoded() {
    let bytes = b"OMR\xC5DE;CIVILSTAND;TID;INDHOLD\r\nRingk\xF8bing-Skjern;I alt;2008K1;57892\r\n";
    let (obs, s) =
        read("w.csv", bytes, &ImportOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.encoding.encoding, TextEncoding::Windows1252);
    assert!(s.encoding.detected);
    assert_eq!(obs[0].area_code, "760");
    // Forced windows-1252 on a file with a UTF-8 BOM is a contradiction.
    let e = only_error(read(
        "w.csv",
        "\u{feff}TID;INDHOLD\n2020;1\n".as_bytes(),
        &ImportOptions {
            encoding: EncodingChoice::Windows1252,
            ..Default::default()
        },
    ));
    assert_at(&e, "bom_with_windows_1252", 1, 1);
}

#[test]
fn empty_file_is_rejected() {
    let e = only_error(read("e.csv", b"", &ImportOptions::default()));
    assert_at(&e, "empty_file", 1, 1);
    let e = only_error(read("e.csv", b"\n\n", &ImportOptions::default()));
    assert_at(&e, "empty_file", 1, 1);
    let e = only_error(read("e.csv", HEADER.as_bytes(), &ImportOptions::default()));
    assert_at(&e, "no_data_rows", 1, 1);
}

#[test]
fn bom_only_file_is_rejected() {
    let e = only_error(read("b.csv", b"\xEF\xBB\xBF", &ImportOptions::default()));
    assert_at(&e, "bom_only", 1, 1);
    assert!(e.to_string().contains("byte-order mark"), "{e}");
}

#[test]
fn every_error_of_a_file_is_reported_in_file_order_capped_at_100() {
    let mut body = String::new();
    for i in 0..150 {
        body.push_str(&format!("Hele landet;I alt;2008K{};x{i}\n", 1 + i % 4));
    }
    let err = read("many.csv", &da(&body), &ImportOptions::default()).unwrap_err();
    assert_eq!(err.total, 150);
    assert_eq!(err.errors.len(), MAX_REPORTED_ERRORS);
    assert!(err.errors.windows(2).all(|w| w[0].line < w[1].line));
    assert!(
        err.to_string()
            .ends_with("150 errors in total; the first 100 are listed"),
        "{err}"
    );
    // Several errors in one row are all reported.
    let err = read(
        "two.csv",
        &da("Gotham;Single;2008K9;x\n"),
        &ImportOptions::default(),
    )
    .unwrap_err();
    let cols: Vec<u64> = err.errors.iter().map(|e| e.column).collect();
    assert_eq!(cols, vec![1, 2, 3, 4], "in column order");
}

#[test]
fn a_rejected_file_stops_yielding_batches() {
    let mut body = String::new();
    for i in 0..50 {
        body.push_str(&format!(
            "{}\n",
            ["Hele landet;I alt;", &(2000 + i).to_string(), ";1"].concat()
        ));
    }
    body.push_str("Hele landet;I alt;2100;bad\n");
    for i in 0..50 {
        body.push_str(&format!("Hele landet;I alt;{};1\n", 2200 + i));
    }
    let bytes = da(&body);
    let registry = registry();
    let mut reader = Reader::new(
        "r.csv",
        bytes.as_slice(),
        &ImportOptions::default(),
        &registry,
    )
    .unwrap();
    let mut seen = 0;
    while let Some(batch) = reader.next_batch(10) {
        seen += batch.len();
    }
    assert!(seen <= 50, "no batch after the error: {seen}");
    assert!(reader.has_errors());
    let err = reader.finish().unwrap_err();
    assert_eq!(err.total, 1);
    assert_at(&err.errors[0], "not_a_number", 52, 4);
}
