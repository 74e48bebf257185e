//! The indicator registry: the bundled file is valid and complete for the demo, and every
//! invalid entry is rejected with an error naming its key.

use lighed_ingest::{Direction, IndicatorKind, Registry, RegistryError};

/// The indicator ids the demo extract, the index models and the segment aggregates use (brief,
/// data/demo/README.md, models/segments).
const DEMO_IDS: [&str; 18] = [
    "population",
    "outside_labour_edu_18_64",
    "basic_education_30_59",
    "low_income",
    "non_western_origin",
    "single_adult_households",
    "living_alone_65plus",
    "copd_prevalence",
    "type2_diabetes_prevalence",
    "preventable_admissions_65plus",
    "prehospital_nonacute_contacts",
    "low_self_rated_health",
    "low_health_literacy",
    "loneliness",
    "daily_smoking",
    "convicted_18plus",
    "income_15_64_pct_region",
    "segment_persons",
];

#[test]
fn bundled_registry_defines_every_demo_indicator() {
    let r = Registry::bundled().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.indicators().count(), DEMO_IDS.len());
    for id in DEMO_IDS {
        let d = r.indicator(id).unwrap_or_else(|| panic!("{id} missing"));
        assert!(!d.label_da.is_empty() && !d.label_en.is_empty() && !d.unit.is_empty());
        match d.kind {
            IndicatorKind::Proportion | IndicatorKind::Rate { .. } => {
                assert!(d.min_denominator.is_some_and(|m| m >= 5), "{id}");
                assert!(d.denominator.is_some(), "{id}");
            }
            IndicatorKind::Count | IndicatorKind::Value => {
                assert!(d.min_denominator.is_none(), "{id}")
            }
        }
    }
    let kind = |id: &str| r.indicator(id).unwrap().kind;
    assert_eq!(
        kind("preventable_admissions_65plus"),
        IndicatorKind::Rate { per: 1000 }
    );
    assert_eq!(
        kind("prehospital_nonacute_contacts"),
        IndicatorKind::Rate { per: 1000 }
    );
    assert_eq!(kind("income_15_64_pct_region"), IndicatorKind::Value);
    assert_eq!(kind("population"), IndicatorKind::Count);
    assert_eq!(kind("copd_prevalence"), IndicatorKind::Proportion);
    assert_eq!(
        r.indicator("income_15_64_pct_region").unwrap().direction,
        Direction::HigherIsBetter
    );
    assert_eq!(
        r.indicator("population").unwrap().direction,
        Direction::Neutral
    );
    assert_eq!(
        r.indicator("loneliness").unwrap().direction,
        Direction::HigherIsWorse
    );
    let folk1a: Vec<_> = r
        .statbank_mappings()
        .iter()
        .filter(|m| m.table == "FOLK1A")
        .collect();
    assert_eq!(folk1a.len(), 1);
    assert_eq!(folk1a[0].indicator, "population");
    assert_eq!(
        folk1a[0].select.get("CIVILSTAND").map(String::as_str),
        Some("TOT")
    );
}

const GOOD: &str = r#"
schema = 1
[indicators.share]
label = { da = "Andel", en = "Share" }
unit = "%"
kind = "proportion"
direction = "higher_is_worse"
min_denominator = 20
numerator = "persons with x"
denominator = "persons"
source = "test"
[indicators.people]
label = { da = "Folk", en = "People" }
unit = "persons"
kind = "count"
direction = "neutral"
numerator = "persons"
source = "test"
[[statbank]]
table = "FOLK1A"
indicator = "people"
area = "OMRÅDE"
sex = "KØN"
"#;

fn invalid_key(text: &str) -> String {
    match Registry::from_toml_str(text, "t.toml") {
        Err(RegistryError::Invalid {
            key, source_name, ..
        }) => {
            assert_eq!(source_name, "t.toml");
            key
        }
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[test]
fn a_valid_registry_parses() {
    let r = Registry::from_toml_str(GOOD, "t.toml").unwrap();
    assert_eq!(r.indicators().count(), 2);
    assert_eq!(
        r.statbank_tables().into_iter().collect::<Vec<_>>(),
        ["FOLK1A"]
    );
}

#[test]
fn every_invalid_entry_names_its_key() {
    let cases = [
        (GOOD.replace("schema = 1", "schema = 2"), "schema"),
        (
            GOOD.replace("kind = \"proportion\"", "kind = \"share\""),
            "indicators.share.kind",
        ),
        (
            GOOD.replace("kind = \"proportion\"", "kind = \"rate\""),
            "indicators.share.per",
        ),
        (
            GOOD.replace("kind = \"count\"", "kind = \"count\"\nper = 100"),
            "indicators.people.per",
        ),
        (
            GOOD.replace("min_denominator = 20", "min_denominator = 3"),
            "indicators.share.min_denominator",
        ),
        (
            GOOD.replace("min_denominator = 20\n", ""),
            "indicators.share.min_denominator",
        ),
        (
            GOOD.replace("denominator = \"persons\"\n", ""),
            "indicators.share.denominator",
        ),
        (
            GOOD.replace("kind = \"count\"", "kind = \"count\"\nmin_denominator = 20"),
            "indicators.people.min_denominator",
        ),
        (
            GOOD.replace("direction = \"neutral\"", "direction = \"up\""),
            "indicators.people.direction",
        ),
        (
            GOOD.replace("unit = \"persons\"", "unit = \" \""),
            "indicators.people.unit",
        ),
        (
            GOOD.replace("[indicators.people]", "[indicators.People]")
                .replace("indicator = \"people\"", "indicator = \"People\""),
            "indicators.People",
        ),
        (
            GOOD.replace("indicator = \"people\"", "indicator = \"nobody\""),
            "statbank[0].indicator",
        ),
        (
            GOOD.replace("indicator = \"people\"", "indicator = \"share\""),
            "statbank[0].indicator",
        ),
        (
            GOOD.replace("table = \"FOLK1A\"", "table = \"folk 1a\""),
            "statbank[0].table",
        ),
        (
            GOOD.replace("sex = \"KØN\"", "sex = \"OMRÅDE\""),
            "statbank[0].sex",
        ),
        (
            GOOD.replace("sex = \"KØN\"", "sex = \"TID\""),
            "statbank[0].sex",
        ),
        (
            GOOD.replace(
                "sex = \"KØN\"",
                "select = { \"KØN\" = \"TOT\", \"OMRÅDE\" = \"000\" }",
            ),
            "statbank[0].select.OMRÅDE",
        ),
        (
            GOOD.replace("sex = \"KØN\"", "area_when_eliminated = \"DK\""),
            "statbank[0].area_when_eliminated",
        ),
        (
            format!(
                "{GOOD}\n[[statbank]]\ntable = \"FOLK1A\"\nindicator = \"people\"\narea = \"OMRÅDE\"\nsex = \"KØN\"\n"
            ),
            "statbank[1].table",
        ),
    ];
    for (text, key) in cases {
        assert_eq!(invalid_key(&text), key, "{text}");
    }
}

#[test]
fn unknown_keys_and_bad_toml_are_parse_errors_naming_the_key() {
    let err = Registry::from_toml_str(
        &GOOD.replace("unit = \"%\"", "unit = \"%\"\ncolour = \"red\""),
        "t.toml",
    )
    .unwrap_err();
    assert!(matches!(err, RegistryError::Parse { .. }), "{err:?}");
    assert!(err.to_string().contains("colour"), "{err}");
    let err = Registry::from_toml_str("schema = ", "t.toml").unwrap_err();
    assert!(err.to_string().starts_with("t.toml: "), "{err}");
}
