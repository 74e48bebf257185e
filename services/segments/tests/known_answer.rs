//! Issue 6 acceptance: a small hand-made microdata file aggregates to counts computed by hand;
//! the same aggregates loaded as register cross-tabs (long format, through `lighed-ingest`)
//! give identical segment scores. Also: the shipped definitions validate, and a CPR-like column
//! or value or an impossible age rejects the file with its line.

use std::io::Write;

use lighed_core::disclosure::{MinCellSize, Reason};
use lighed_core::stats::Confidence;
use lighed_ingest::{ImportOptions, Reader, Registry};
use lighed_segments::{
    AggregateOptions, Cell, Column, Definitions, MicrodataErrorKind, ProtectedRelease, RankBy,
    ScoreQuery, SegmentCounts, aggregate_file, aggregate_reader, score,
};

const DEFS: &str = r#"
[definitions]
name = "known-answer"
version = "1"
description = "two segments for the known-answer test"

[flags.neet]
label = "not in employment, education or training"
source = "test"

[flags.alone]
label = "lives alone"
source = "test"

[flags.copd]
label = "COPD"
source = "test"

[[segments]]
id = "neet_16_24"
label = "NEET 16-24"
description = "young people outside work and education"
base_label = "residents aged 16-24"
base = { age = [16, 24] }
conditions = { all_flags = ["neet"] }

[[segments]]
id = "alone_65_copd"
label = "65+ alone with COPD"
description = "older people living alone with COPD"
base_label = "residents aged 65+"
base = { age = [65, 125] }
conditions = { all_flags = ["alone", "copd"] }
"#;

/// The hand-made file: (area, age, sex, neet, alone, copd, number of identical rows).
const GROUPS: &[(&str, u8, u8, u8, u8, u8, usize)] = &[
    ("A1", 17, 1, 1, 0, 0, 6),  // NEET member, band 15-19 men
    ("A1", 22, 2, 0, 0, 0, 14), // NEET base only, band 20-24 women
    ("A1", 70, 2, 0, 1, 1, 5),  // 65+ member, band 70-74 women
    ("A1", 80, 1, 0, 1, 0, 10), // 65+ base only, band 80-84 men
    ("A1", 40, 1, 1, 0, 0, 20), // in no base (age 40)
    ("A2", 19, 1, 1, 0, 0, 4),  // NEET member, 15-19 men
    ("A2", 16, 1, 0, 0, 0, 16), // NEET base, 15-19 men
    ("A2", 23, 2, 1, 0, 0, 5),  // NEET member, 20-24 women
    ("A2", 71, 2, 0, 1, 1, 7),  // 65+ member, 70-74 women
    ("A2", 72, 2, 0, 0, 1, 13), // 65+ base, 70-74 women
    ("A2", 81, 1, 0, 1, 1, 10), // 65+ member, 80-84 men
    ("A3", 24, 2, 1, 0, 0, 9),  // NEET member, 20-24 women
    ("A3", 20, 2, 0, 0, 0, 11), // NEET base, 20-24 women
    ("A3", 66, 1, 0, 1, 1, 3),  // 65+ member, 65-69 men (3 persons: primary suppression)
    ("A3", 67, 1, 0, 0, 0, 30), // 65+ base, 65-69 men
    ("A3", 0, 2, 0, 0, 0, 2),   // babies: in no base
    ("A3", 125, 1, 0, 1, 0, 1), // the oldest possible age: 65+ base, band 90+ men
];

fn microdata_csv() -> String {
    let mut s = String::from("area_code;age;sex;neet;alone;copd\n");
    for &(a, age, sex, n, al, c, times) in GROUPS {
        for _ in 0..times {
            s.push_str(&format!("{a};{age};{sex};{n};{al};{c}\n"));
        }
    }
    s
}

/// The same aggregates written by hand as register cross-tabs in the long format.
const CROSS_TABS: &str = "\
area_code;indicator;period;numerator;denominator;age_band;sex;segment
A1;segment_persons;2025;6;6;15-19;1;neet_16_24
A1;segment_persons;2025;0;14;20-24;2;neet_16_24
A2;segment_persons;2025;4;20;15-19;1;neet_16_24
A2;segment_persons;2025;5;5;20-24;2;neet_16_24
A3;segment_persons;2025;9;20;20-24;2;neet_16_24
A1;segment_persons;2025;5;5;70-74;2;alone_65_copd
A1;segment_persons;2025;0;10;80-84;1;alone_65_copd
A2;segment_persons;2025;7;20;70-74;2;alone_65_copd
A2;segment_persons;2025;10;10;80-84;1;alone_65_copd
A3;segment_persons;2025;3;33;65-69;1;alone_65_copd
A3;segment_persons;2025;0;1;90+;1;alone_65_copd
A3;segment_persons;2025;3;34;;;alone_65_copd
";

const REGISTRY: &str = r#"
schema = 1
[indicators.segment_persons]
label = { da = "Personer i segment", en = "Persons in segment" }
unit = "%"
kind = "proportion"
direction = "higher_is_worse"
min_denominator = 5
numerator = "persons in the segment"
denominator = "persons in the segment's base population"
source = "lighed-segments aggregates"
"#;

fn defs() -> Definitions {
    Definitions::from_toml("known-answer.toml", DEFS).unwrap()
}

fn write_temp(text: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(text.as_bytes()).unwrap();
    f.flush().unwrap();
    f
}

fn read_long(text: &str) -> Vec<lighed_core::obs::Observation> {
    let registry = Registry::from_toml_str(REGISTRY, "registry.toml").unwrap();
    let mut r = Reader::new(
        "cross-tabs.csv",
        text.as_bytes(),
        &ImportOptions::default(),
        &registry,
    )
    .unwrap();
    let mut out = Vec::new();
    while let Some(batch) = r.next_batch(1000) {
        out.extend(batch);
    }
    r.finish().unwrap();
    out
}

#[test]
fn hand_made_microdata_aggregates_to_hand_counts() {
    let d = defs();
    let f = write_temp(&microdata_csv());
    for threads in [1, 2, 3] {
        let (c, summary) = aggregate_file(
            f.path(),
            &d,
            &AggregateOptions {
                threads,
                progress: None,
            },
        )
        .unwrap();
        assert_eq!(summary.rows, 166, "sum of the group sizes");
        assert_eq!(c.areas(), ["A1", "A2", "A3"]);
        // Counted by hand from GROUPS: [members, base].
        assert_eq!(c.total(0, 0), [6, 20]);
        assert_eq!(c.total(1, 0), [9, 25]);
        assert_eq!(c.total(2, 0), [9, 20]);
        assert_eq!(c.total(0, 1), [5, 15]);
        assert_eq!(c.total(1, 1), [17, 30]);
        assert_eq!(c.total(2, 1), [3, 34]);
        // cells: band index = age / 5 (90+ = 18), cell = band * 2 + sex (0 men, 1 women)
        assert_eq!(c.cell(1, 0, 3 * 2), [4, 20], "A2 NEET 15-19 men");
        assert_eq!(c.cell(1, 0, 4 * 2 + 1), [5, 5], "A2 NEET 20-24 women");
        assert_eq!(c.cell(2, 1, 18 * 2), [0, 1], "A3 65+ 90+ men (age 125)");
        assert_eq!(c.cell(0, 1, 16 * 2), [0, 10], "A1 65+ 80-84 men");
        // The streaming reader gives the same counts.
        let (c2, _) = aggregate_reader("stdin", microdata_csv().as_bytes(), &d).unwrap();
        assert_eq!(c, c2);
    }
}

#[test]
fn microdata_and_register_cross_tabs_give_identical_scores() {
    let d = defs();
    let f = write_temp(&microdata_csv());
    let (from_micro, _) = aggregate_file(f.path(), &d, &AggregateOptions::default()).unwrap();
    let from_registers = SegmentCounts::from_observations(&read_long(CROSS_TABS), &d).unwrap();
    assert_eq!(from_micro, from_registers);

    // The stored form round-trips too: observations -> long-format CSV -> ingest -> counts.
    let mut csv =
        String::from("area_code;indicator;period;numerator;denominator;age_band;sex;segment\n");
    for o in from_micro.to_observations_for_storage("2025") {
        csv.push_str(&format!(
            "{};{};{};{};{};{};{};{}\n",
            o.area_code,
            o.indicator,
            o.period,
            o.numerator.unwrap(),
            o.denominator.unwrap(),
            o.age_band,
            o.sex,
            o.segment
        ));
    }
    let from_store = SegmentCounts::from_observations(&read_long(&csv), &d).unwrap();
    assert_eq!(from_micro, from_store);

    let k = MinCellSize::DEFAULT;
    let q = ScoreQuery {
        rank_by: RankBy::Excess,
        ..ScoreQuery::default()
    };
    let a = score(&ProtectedRelease::new(&from_micro, &d, k).unwrap(), &q).unwrap();
    let b = score(&ProtectedRelease::new(&from_registers, &d, k).unwrap(), &q).unwrap();
    let c = score(&ProtectedRelease::new(&from_store, &d, k).unwrap(), &q).unwrap();
    assert_eq!(a, b);
    assert_eq!(a, c);
}

#[test]
fn scores_match_hand_computation() {
    let d = defs();
    let counts = SegmentCounts::from_observations(&read_long(CROSS_TABS), &d).unwrap();
    let release = ProtectedRelease::new(&counts, &d, MinCellSize::DEFAULT).unwrap();
    // NEET: no cell of 1-4 persons anywhere, nothing suppressed.
    for r in 0..=3 {
        for col in Column::ALL {
            assert!(matches!(release.cell(0, r, col), Cell::Released(_)));
        }
    }
    // 65+: A3 has 3 members -> primary; complements hide it; everything released is >= 5 or 0.
    assert_eq!(
        release.cell(1, 2, Column::Members),
        Cell::Suppressed(Reason::Primary)
    );
    assert!(release.is_protected(1));
    let s = score(&release, &ScoreQuery::default()).unwrap();
    let cell = |seg: &str, area: &str| {
        s.cells
            .iter()
            .find(|c| c.segment == seg && c.area_code == area)
            .unwrap()
            .clone()
    };
    // Hand computation, NEET (region cells: 15-19 men 10/26, 20-24 women 14/39):
    //   E(A1) = 6·10/26 + 14·14/39 = 7.333333; E(A2) = 20·10/26 + 5·14/39 = 9.487179;
    //   E(A3) = 20·14/39 = 7.179487; the three sum to the region's 24 members.
    let a3 = cell("neet_16_24", "A3");
    let n = &a3.numbers;
    assert_eq!(n.persons, Cell::Released(9));
    assert_eq!(n.base, Cell::Released(20));
    assert!((n.expected.unwrap() - 280.0 / 39.0).abs() < 1e-12);
    assert!((n.excess.unwrap() - (9.0 - 280.0 / 39.0)).abs() < 1e-12);
    let ratio = n.ratio.as_ref().unwrap();
    assert!((ratio.value.unwrap() - 9.0 * 39.0 / 280.0).abs() < 1e-12);
    // Exact Poisson 95 % limits of 9 events: 4.1153 and 17.0848 (Garwood 1936; the standard
    // table, e.g. Breslow & Day 1987 Appendix; PHEindicatormethods gives the same).
    assert!((ratio.lower.unwrap() * 280.0 / 39.0 - 4.1153).abs() < 1e-3);
    assert!((ratio.upper.unwrap() * 280.0 / 39.0 - 17.0848).abs() < 1e-3);
    assert_eq!(ratio.method, lighed_core::stats::Method::Exact);
    // Wilson 95 % for 9/20 (z = 1.959964): (18 + z² ± z·√(z² + 36·(1 − 9/20)))/(2·(20 + z²))
    //   = 25.82 % to 65.79 % (by hand from the formula of Wilson 1927).
    let p = n.prevalence.as_ref().unwrap();
    assert!((p.value.unwrap() - 45.0).abs() < 1e-12);
    assert!((p.lower.unwrap() - 25.82).abs() < 0.01, "{:?}", p.lower);
    assert!((p.upper.unwrap() - 65.79).abs() < 0.01, "{:?}", p.upper);
    // share of the region's NEET: 9 / 24
    assert!((n.share_of_region.unwrap() - 37.5).abs() < 1e-12);

    // 65+ in A2: cells 70-74 women 20 at the region's 12/25, 80-84 men 10 at 10/20:
    //   E = 9.6 + 5 = 14.6, excess 17 − 14.6 = 2.4; the highest excess of all cells.
    let a2 = cell("alone_65_copd", "A2");
    assert!((a2.numbers.expected.unwrap() - 14.6).abs() < 1e-12);
    assert_eq!(a2.rank, Some(1));
    assert_eq!(cell("neet_16_24", "A3").rank, Some(2));
    // The primary cell has no rank and no rate, and the reason does not show a number.
    let small = cell("alone_65_copd", "A3");
    assert_eq!(small.rank, None);
    assert!(small.numbers.prevalence.is_none() && small.numbers.ratio.is_none());
    assert_eq!(
        small.reason,
        "65+ alone with COPD: fewer than 5 persons: not shown"
    );
    // Region totals.
    let t = &s.totals[1];
    assert_eq!(t.region.persons, Cell::Released(25));
    assert_eq!(t.region.base, Cell::Released(79));
    assert!((t.region.ratio.as_ref().unwrap().value.unwrap() - 1.0).abs() < 1e-12);
    let _ = Confidence::P95;
}

#[test]
fn scope_totals_are_released_only_when_all_parts_are() {
    let d = defs();
    let counts = SegmentCounts::from_observations(&read_long(CROSS_TABS), &d).unwrap();
    let release = ProtectedRelease::new(&counts, &d, MinCellSize::DEFAULT).unwrap();
    let q = |areas: &[&str]| ScoreQuery {
        scope: Some(areas.iter().map(|s| s.to_string()).collect()),
        ..ScoreQuery::default()
    };
    let s = score(&release, &q(&["A1", "A2", "X9"])).unwrap();
    assert_eq!(s.unknown_areas, ["X9"]);
    assert_eq!(s.totals[0].scope.persons, Cell::Released(15));
    assert_eq!(s.totals[0].scope.base, Cell::Released(45));
    let s = score(&release, &q(&["A3", "A2"])).unwrap();
    assert_eq!(
        s.totals[1].scope.persons,
        Cell::Withheld,
        "A3's 65+ count is suppressed"
    );
    assert!(s.totals[1].scope.prevalence.is_none());
    assert!(s.cells.iter().all(|c| c.area_code != "A1"));
}

#[test]
fn shipped_definitions_validate() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../models/segments/rm-focus-groups.toml"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let d = Definitions::from_toml(path, &text).unwrap();
    let ids: Vec<&str> = d.segments.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "neet_16_24",
            "alone_65_chronic",
            "prespor_frequent_nonacute",
            "low_health_literacy",
            "vulnerable_social_housing"
        ]
    );
    assert_eq!(d.flags.len(), 9);
    for s in &d.segments {
        assert!(
            s.members.is_subset_of(&s.base) && s.members != s.base,
            "{}",
            s.id
        );
    }
}

fn reject(text: &str) -> (u64, MicrodataErrorKind) {
    let d = defs();
    let f = write_temp(text);
    let file = aggregate_file(
        f.path(),
        &d,
        &AggregateOptions {
            threads: 2,
            progress: None,
        },
    )
    .unwrap_err();
    let stream = aggregate_reader("stdin", text.as_bytes(), &d).unwrap_err();
    assert_eq!(
        (file.line, &file.kind),
        (stream.line, &stream.kind),
        "file vs stream"
    );
    (file.line, file.kind)
}

#[test]
fn cpr_columns_and_values_and_impossible_ages_are_rejected_with_the_line() {
    let good = microdata_csv();
    // CPR-like headers.
    for h in ["cpr", "CPR_NR", "cpr-nummer", "Personnummer", "pnr"] {
        let text = good.replacen("area_code;", &format!("area_code;{h};"), 1);
        let (line, kind) = reject(&text);
        assert_eq!(line, 1);
        assert!(
            matches!(kind, MicrodataErrorKind::CprColumn { .. }),
            "{h}: {kind:?}"
        );
    }
    // Any other unknown column too.
    let (line, kind) = reject(&good.replacen("copd\n", "copd;name\n", 1));
    assert_eq!(line, 1);
    assert!(matches!(kind, MicrodataErrorKind::UnknownColumn { .. }));
    // A CPR-like value in a late line (line 150 of 167), both forms.
    for cpr in ["010190-1234", "3112991234", "290200-4321"] {
        let mut lines: Vec<String> = good.lines().map(String::from).collect();
        lines[149] = format!("{cpr};40;1;0;0;0");
        let (line, kind) = reject(&(lines.join("\n") + "\n"));
        assert_eq!(line, 150, "{cpr}");
        assert!(matches!(kind, MicrodataErrorKind::CprValue { .. }));
        let msg = kind.to_string();
        assert!(!msg.contains(cpr), "the message must not repeat the number");
    }
    // Ten digits that are not a date are an ordinary (if odd) area code.
    let mut lines: Vec<String> = good.lines().map(String::from).collect();
    lines[149] = "3213991234;40;1;0;0;0".into();
    let f = write_temp(&(lines.join("\n") + "\n"));
    assert!(aggregate_file(f.path(), &defs(), &AggregateOptions::default()).is_ok());
    // Impossible ages.
    for (age, at) in [
        ("-1", 2usize),
        ("126", 100),
        ("4.5", 167),
        ("", 60),
        ("abc", 3),
    ] {
        let mut lines: Vec<String> = good.lines().map(String::from).collect();
        lines[at - 1] = format!("A1;{age};1;0;0;0");
        let (line, kind) = reject(&(lines.join("\n") + "\n"));
        assert_eq!(line, at as u64, "age {age:?}");
        assert!(
            matches!(kind, MicrodataErrorKind::ImpossibleAge { .. }),
            "{kind:?}"
        );
    }
    // Two errors: the first in file order is reported, whatever the thread.
    let mut lines: Vec<String> = good.lines().map(String::from).collect();
    lines[159] = "A1;130;1;0;0;0".into();
    lines[9] = "A1;1;3;0;0;0".into();
    let (line, kind) = reject(&(lines.join("\n") + "\n"));
    assert_eq!(line, 10);
    assert!(matches!(kind, MicrodataErrorKind::InvalidCode { .. }));
}
