//! Property tests: random well-formed StatBank exports (random variables and column order, codes,
//! texts, periods, presentations, languages, encodings, line ends, values including `..` and
//! empty) read back to exactly the observations they were written from; random long-format files
//! likewise; and random or mangled bytes never panic the readers.

mod common;

use common::*;
use lighed_core::obs::{MissingReason, Observation};
use lighed_ingest::vocab::Vocabulary;
use lighed_ingest::{EncodingChoice, Format, ImportOptions, Lang, Presentation, Reader};
use proptest::prelude::*;
use proptest::sample::{Index, select};

/// A value of one dimension: code, Danish text, English text, observation key.
#[derive(Debug, Clone)]
struct Val {
    code: String,
    da: String,
    en: String,
    key: String,
}

fn val(code: &str, da: &str, en: &str, key: &str) -> Val {
    Val {
        code: code.into(),
        da: da.into(),
        en: en.into(),
        key: key.into(),
    }
}

impl Val {
    fn cell(&self, p: Presentation, lang: Lang) -> String {
        let text = if lang == Lang::Da { &self.da } else { &self.en };
        match p {
            Presentation::Code => self.code.clone(),
            Presentation::Value => text.clone(),
            Presentation::CodeAndValue => format!("{} {}", self.code, text),
        }
    }
}

fn area(i: Index) -> Val {
    let m = Vocabulary::bundled().unwrap().municipalities();
    let fixed = [
        val("000", "Hele landet", "All Denmark", "000"),
        val("082", "Region Midtjylland", "Region Midtjylland", "082"),
    ];
    let n = fixed.len() + m.len();
    let k = i.index(n);
    if k < fixed.len() {
        fixed[k].clone()
    } else {
        let (code, name) = &m[k - fixed.len()];
        val(code, name, name, code)
    }
}

fn sex(i: usize) -> Val {
    [
        val("TOT", "I alt", "Total", ""),
        val("1", "Mænd", "Men", "1"),
        val("2", "Kvinder", "Women", "2"),
    ][i % 3]
        .clone()
}

fn age(n: Option<u32>) -> Val {
    match n {
        None => val("IALT", "Alder i alt", "Total", ""),
        Some(n) => {
            let en = if n == 1 {
                "1 year".to_string()
            } else {
                format!("{n} years")
            };
            val(&n.to_string(), &format!("{n} år"), &en, &n.to_string())
        }
    }
}

fn civ(i: usize) -> Val {
    [
        val("TOT", "I alt", "Total", "TOT"),
        val("U", "Ugift", "Never married", "U"),
        val("G", "Gift/separeret", "Married/separated", "G"),
    ][i % 3]
        .clone()
}

/// (code = canonical, Danish text, English text)
fn period(kind: u8, year: u32, sub: u32) -> Val {
    match kind % 5 {
        0 => val(
            &year.to_string(),
            &year.to_string(),
            &year.to_string(),
            &year.to_string(),
        ),
        1 => {
            let q = 1 + sub % 4;
            let code = format!("{year}K{q}");
            val(&code, &code, &format!("{year}Q{q}"), &code)
        }
        2 => {
            let code = format!("{year}M{:02}", 1 + sub % 12);
            val(&code, &code, &code, &code)
        }
        3 => {
            let code = format!("{year}U{:02}", 1 + sub % 53);
            val(&code, &code, &code, &code)
        }
        _ => {
            let code = format!("{year}M{:02}D{:02}", 1 + sub % 12, 1 + sub % 28);
            val(&code, &code, &code, &code)
        }
    }
}

#[derive(Debug, Clone)]
enum Cell {
    Int(u32),
    Dec(u32, u8),
    Suppressed,
    Empty,
}

fn cell_strategy() -> impl Strategy<Value = Cell> {
    prop_oneof![
        6 => any::<u32>().prop_map(Cell::Int),
        2 => (0u32..1_000_000, 1u8..100).prop_map(|(i, f)| Cell::Dec(i, f)),
        1 => Just(Cell::Suppressed),
        1 => Just(Cell::Empty),
    ]
}

impl Cell {
    fn write(&self, lang: Lang) -> String {
        let sep = if lang == Lang::Da { ',' } else { '.' };
        match self {
            Cell::Int(i) => i.to_string(),
            Cell::Dec(i, f) => format!("{i}{sep}{f:02}"),
            Cell::Suppressed => "..".into(),
            Cell::Empty => String::new(),
        }
    }
    fn expect(&self) -> (Option<f64>, Option<MissingReason>) {
        match self {
            Cell::Int(i) => (Some(f64::from(*i)), None),
            Cell::Dec(i, f) => (Some(format!("{i}.{f:02}").parse().unwrap()), None),
            Cell::Suppressed => (None, Some(MissingReason::Suppressed)),
            Cell::Empty => (None, Some(MissingReason::Empty)),
        }
    }
}

/// One generated export: its text, the options to read it and what it must yield.
#[derive(Debug)]
struct Export {
    text: String,
    presentation: Presentation,
    opts: ImportOptions,
    windows_1252: bool,
    bom: bool,
    expected: Vec<Observation>,
    skipped: u64,
    has_dims: bool,
}

type RawRow = (Index, usize, Option<u32>, usize, (u8, u32, u32), Cell);

#[derive(Debug, Clone, Copy)]
enum Enc {
    AutoUtf8,
    ForcedUtf8,
    Bom,
    Windows1252,
}

fn export_strategy() -> impl Strategy<Value = Export> {
    let row = (
        any::<Index>(),
        0usize..3,
        prop::option::of(0u32..=125),
        0usize..3,
        (0u8..5, 2000u32..2030, 0u32..60),
        cell_strategy(),
    );
    (
        [any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()],
        Just(vec![0usize, 1, 2, 3, 4]).prop_shuffle(),
        select(vec![
            Presentation::Code,
            Presentation::Value,
            Presentation::CodeAndValue,
        ]),
        select(vec![Lang::Da, Lang::En]),
        select(vec![
            Enc::AutoUtf8,
            Enc::ForcedUtf8,
            Enc::Bom,
            Enc::Windows1252,
        ]),
        any::<bool>(),
        prop::collection::vec(row, 1..40),
    )
        .prop_map(|(present, order, p, lang, enc, crlf, rows)| {
            build(present, &order, p, lang, enc, crlf, rows)
        })
}

/// Columns: 0 OMRÅDE, 1 KØN, 2 ALDER, 3 CIVILSTAND (each present or not), 4 TID; INDHOLD last.
fn build(
    present: [bool; 4],
    order: &[usize],
    p: Presentation,
    lang: Lang,
    enc: Enc,
    crlf: bool,
    rows: Vec<RawRow>,
) -> Export {
    let names = ["OMRÅDE", "KØN", "ALDER", "CIVILSTAND", "TID"];
    let cols: Vec<usize> = order
        .iter()
        .copied()
        .filter(|&c| c == 4 || present[c])
        .collect();
    let eol = if crlf { "\r\n" } else { "\n" };
    let mut text: String = cols.iter().map(|&c| names[c]).collect::<Vec<_>>().join(";");
    text.push_str(";INDHOLD");
    text.push_str(eol);
    let mut seen = std::collections::BTreeSet::new();
    let mut expected = Vec::new();
    let mut skipped = 0;
    for (a, s, g, c, (pk, y, sub), cell) in rows {
        let vals = [area(a), sex(s), age(g), civ(c), period(pk, y, sub)];
        // The key as the file sees it: absent columns are not part of it.
        let file_key: Vec<String> = cols.iter().map(|&c| vals[c].code.clone()).collect();
        if !seen.insert(file_key) {
            continue;
        }
        let fields: Vec<String> = cols.iter().map(|&c| vals[c].cell(p, lang)).collect();
        text.push_str(&fields.join(";"));
        text.push(';');
        text.push_str(&cell.write(lang));
        text.push_str(eol);
        if present[3] && vals[3].code != "TOT" {
            skipped += 1;
            continue;
        }
        let (numerator, missing) = cell.expect();
        let key = |i: usize| {
            if present[i] {
                vals[i].key.clone()
            } else {
                String::new()
            }
        };
        expected.push(Observation {
            area_code: if present[0] {
                vals[0].key.clone()
            } else {
                "000".into()
            },
            indicator: "population".into(),
            period: vals[4].key.clone(),
            numerator,
            denominator: None,
            age_band: key(2),
            sex: key(1),
            segment: String::new(),
            missing,
        });
    }
    let encoding = match enc {
        Enc::ForcedUtf8 => EncodingChoice::Utf8,
        _ => EncodingChoice::Auto,
    };
    Export {
        text,
        presentation: p,
        opts: ImportOptions {
            lang,
            encoding,
            ..ImportOptions::default()
        },
        windows_1252: matches!(enc, Enc::Windows1252),
        bom: matches!(enc, Enc::Bom),
        expected,
        skipped,
        has_dims: present.iter().any(|&b| b),
    }
}

fn encode(export: &Export) -> Vec<u8> {
    if export.windows_1252 {
        let (b, _, unmappable) = encoding_rs::WINDOWS_1252.encode(&export.text);
        assert!(!unmappable);
        b.into_owned()
    } else if export.bom {
        [b"\xEF\xBB\xBF".as_slice(), export.text.as_bytes()].concat()
    } else {
        export.text.as_bytes().to_vec()
    }
}

/// Reads bytes with the given options, draining batches; never panics (the property).
fn read_any(bytes: &[u8], opts: &ImportOptions) -> Result<u64, u64> {
    let registry = registry();
    match Reader::new("any.csv", bytes, opts, &registry) {
        Err(e) => {
            assert!(!e.errors.is_empty() && e.total >= e.errors.len() as u64);
            Err(e.total)
        }
        Ok(mut reader) => {
            let mut n = 0u64;
            while let Some(batch) = reader.next_batch(5) {
                n += batch.len() as u64;
            }
            match reader.finish() {
                Ok(s) => {
                    assert_eq!(s.observations, n);
                    Ok(n)
                }
                Err(e) => {
                    assert!(!e.errors.is_empty());
                    for err in &e.errors {
                        assert!(err.line >= 1 && err.column >= 1, "{err}");
                    }
                    Err(e.total)
                }
            }
        }
    }
}

fn any_options() -> impl Strategy<Value = ImportOptions> {
    (
        select(vec![None, Some(Format::StatBank), Some(Format::Long)]),
        select(vec![Lang::Da, Lang::En]),
        select(vec![
            EncodingChoice::Auto,
            EncodingChoice::Utf8,
            EncodingChoice::Windows1252,
        ]),
        select(vec![
            None,
            Some(Presentation::Code),
            Some(Presentation::Value),
            Some(Presentation::CodeAndValue),
        ]),
        any::<bool>(),
    )
        .prop_map(
            |(format, lang, encoding, presentation, bulk)| ImportOptions {
                format,
                lang,
                table: None,
                encoding,
                presentation,
                bulk,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn statbank_exports_round_trip(export in export_strategy()) {
        let bytes = encode(&export);
        let (obs, summary) = match read("gen.csv", &bytes, &export.opts) {
            Ok(ok) => ok,
            Err(e) => return Err(TestCaseError::fail(format!("rejected:\n{e}\n---\n{}", export.text))),
        };
        prop_assert_eq!(&obs, &export.expected, "{}", export.text);
        prop_assert_eq!(summary.rows_skipped, export.skipped);
        prop_assert_eq!(summary.format, Format::StatBank);
        prop_assert_eq!(summary.table.as_deref(), Some("FOLK1A"));
        prop_assert_eq!(summary.encoding.bom, export.bom);
        // Without variables a Value export cannot be told from a Code export (same cells).
        if export.has_dims || export.presentation != Presentation::Value {
            prop_assert_eq!(summary.presentation, Some(export.presentation));
        }
    }

    #[test]
    fn long_format_round_trips(
        rows in prop::collection::btree_map(
            ("[0-9]{3}(-B[0-9]{2})?", 0usize..4, 2000u32..2030, select(vec!["", "0-4", "65+", "37"]), select(vec!["", "1", "2"]), "([a-z]{1,6})?"),
            (0u32..100_000, 0u32..100_000, 0u8..5),
            1..60,
        ),
        comma in any::<bool>(),
    ) {
        let ids = ["population", "copd_prevalence", "preventable_admissions_65plus", "income_15_64_pct_region"];
        let d = if comma { ',' } else { ';' };
        let mut text = ["area_code", "indicator", "period", "numerator", "denominator", "age_band", "sex", "segment"].join(&d.to_string());
        text.push('\n');
        let mut expected = Vec::new();
        for ((area, ind, year, age, sex, seg), (a, b, missing)) in rows {
            let id = ids[ind];
            let (num, den) = match id {
                "population" => (a.to_string(), String::new()),
                "income_15_64_pct_region" => (format!("{}.{}", a / 10, a % 10), String::new()),
                _ => (a.min(b).to_string(), a.max(b).to_string()),
            };
            let (num, reason) = match missing {
                0 => (String::new(), Some(MissingReason::Empty)),
                1 => ("..".to_string(), Some(MissingReason::Suppressed)),
                _ => (num, None),
            };
            let fields = [area.as_str(), id, &year.to_string(), &num, &den, age, sex, &seg];
            text.push_str(&fields.join(&d.to_string()));
            text.push('\n');
            expected.push(Observation {
                area_code: area.clone(),
                indicator: id.into(),
                period: year.to_string(),
                numerator: if reason.is_some() { None } else { Some(num.parse().unwrap()) },
                denominator: if den.is_empty() { None } else { Some(den.parse().unwrap()) },
                age_band: age.into(),
                sex: sex.into(),
                segment: seg.clone(),
                missing: reason,
            });
        }
        let (obs, summary) = read("long.csv", text.as_bytes(), &ImportOptions::default())
            .map_err(|e| TestCaseError::fail(format!("{e}\n---\n{text}")))?;
        prop_assert_eq!(summary.format, Format::Long);
        prop_assert_eq!(obs, expected);
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600), opts in any_options()) {
        let _ = read_any(&bytes, &opts);
    }

    #[test]
    fn mangled_exports_never_panic(
        export in export_strategy(),
        edits in prop::collection::vec((any::<Index>(), any::<u8>(), 0u8..3), 1..8),
        opts in any_options(),
    ) {
        let mut bytes = encode(&export);
        for (at, byte, op) in edits {
            let i = at.index(bytes.len() + 1);
            match op {
                0 => bytes.insert(i, byte),
                1 if i < bytes.len() => { bytes.remove(i); }
                _ => bytes.truncate(i),
            }
        }
        let _ = read_any(&bytes, &opts);
    }

    #[test]
    fn structured_noise_never_panics(
        body in "[;,\"\r\n.0-9KQMUDIAL \u{e6}\u{f8}\u{e5}\u{feff}-]{0,300}",
        long in any::<bool>(),
        opts in any_options(),
    ) {
        let header = if long {
            "area_code;indicator;period;numerator;denominator;age_band;sex;segment\n"
        } else {
            "OMRÅDE;KØN;ALDER;CIVILSTAND;TID;INDHOLD\n"
        };
        let _ = read_any(format!("{header}{body}").as_bytes(), &opts);
    }
}
