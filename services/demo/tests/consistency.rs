//! Consistency of the committed demo extracts: the sums, subsets and ranges the store and
//! the models rely on. Reads the files with the `csv` crate, independent of the generator.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{Obs, demo_dir, folk1a, geography_dir, indicators, read, records};

const YEARS: [&str; 5] = ["2021", "2022", "2023", "2024", "2025"];

fn municipalities() -> Vec<Vec<String>> {
    records(&geography_dir().join("municipalities.csv"), b',').1
}

fn parishes() -> BTreeMap<String, Vec<String>> {
    records(&geography_dir().join("parishes.csv"), b',')
        .1
        .into_iter()
        .map(|r| (r[0].clone(), r))
        .collect()
}

fn housing() -> Vec<Vec<String>> {
    let (header, rows) = records(&demo_dir().join("housing_areas.csv"), b',');
    assert_eq!(
        header,
        [
            "code",
            "name",
            "municipality_code",
            "parish_code",
            "lon",
            "lat",
            "name_kind"
        ]
    );
    rows
}

#[test]
fn geography_has_19_municipalities_623_parishes_and_councils_cover_each_once() {
    let m = municipalities();
    assert_eq!(m.len(), 19);
    assert_eq!(parishes().len(), 623);
    let codes: BTreeSet<String> = m.iter().map(|r| r[0].clone()).collect();
    let geo = lighed_demo::Geography::load(&geography_dir()).expect("geography loads");
    assert_eq!(geo.region.region.code, "082");
    assert_eq!(geo.region.council.len(), 5);
    let mut seen = BTreeMap::new();
    for c in &geo.region.council {
        for code in &c.municipalities {
            *seen.entry(code.clone()).or_insert(0) += 1;
        }
    }
    assert_eq!(seen.keys().cloned().collect::<BTreeSet<_>>(), codes);
    assert!(
        seen.values().all(|&n| n == 1),
        "each municipality in exactly one council"
    );
    let ids: Vec<&str> = geo.region.council.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["vest", "midt", "randers", "horsens", "aarhus"]);
    // Herning is in Vest, Aarhus and Samsø form Aarhus (DANISH-DATA.md §2.1 clusters).
    let council_of = |code: &str| {
        geo.region
            .council
            .iter()
            .find(|c| c.municipalities.iter().any(|m| m == code))
            .map(|c| c.id.clone())
    };
    assert_eq!(council_of("657").as_deref(), Some("vest"));
    assert_eq!(council_of("741").as_deref(), Some("aarhus"));
}

#[test]
fn folk1a_totals_are_consistent_and_formatted_like_statbank_code_da() {
    let bytes = read(&demo_dir().join("folk1a_population.csv"));
    assert!(!bytes.starts_with(&[0xEF, 0xBB, 0xBF]), "no BOM");
    assert!(!bytes.contains(&b'\r'), "LF line ends");
    let (header, f) = folk1a();
    assert_eq!(*header, ["OMRÅDE", "KØN", "ALDER", "TID", "INDHOLD"]);
    let mut areas: Vec<String> = municipalities().into_iter().map(|r| r[0].clone()).collect();
    areas.push("082".into());
    assert_eq!(f.len(), areas.len() * 3 * 101 * 5);
    let get = |a: &str, s: &str, age: &str, t: &str| {
        *f.get(&(a.into(), s.into(), age.into(), t.into()))
            .unwrap_or_else(|| panic!("missing FOLK1A cell {a};{s};{age};{t}"))
    };
    for a in &areas {
        for y in YEARS {
            let t = format!("{y}K1");
            for age in std::iter::once("IALT".to_string()).chain((0..100).map(|x| x.to_string())) {
                assert_eq!(
                    get(a, "TOT", &age, &t),
                    get(a, "1", &age, &t) + get(a, "2", &age, &t),
                    "TOT = 1 + 2 for {a} {age} {t}"
                );
            }
            for s in ["TOT", "1", "2"] {
                let sum: u64 = (0..100).map(|x| get(a, s, &x.to_string(), &t)).sum();
                assert_eq!(get(a, s, "IALT", &t), sum, "IALT = Σ ages for {a} {s} {t}");
            }
        }
    }
    // Region = Σ municipalities, cell by cell.
    for ((a, s, age, t), v) in f {
        if a == "082" {
            let sum: u64 = areas
                .iter()
                .filter(|m| *m != "082")
                .map(|m| get(m, s, age, t))
                .sum();
            assert_eq!(*v, sum, "region = Σ municipalities for {s} {age} {t}");
        }
    }
    // Herning (the pilot) near its real size: 89,238 on 1.1.2021 (herning.dk).
    for y in YEARS {
        let h = get("657", "TOT", "IALT", &format!("{y}K1"));
        assert!((89_000..=90_000).contains(&h), "Herning {y}: {h}");
    }
    // Every municipality within 12 % of its 2013 size (growth ~0.5 %/year).
    for m in municipalities() {
        let p2013: f64 = m[6].parse().expect("population_2013");
        let p2025 = get(&m[0], "TOT", "IALT", "2025K1") as f64;
        assert!(
            (0.95..1.12).contains(&(p2025 / p2013)),
            "{} 2025 vs 2013: {p2025} / {p2013}",
            m[1]
        );
    }
}

/// Indicators whose numerator is a subset of the denominator.
fn is_proportion(id: &str) -> bool {
    !matches!(
        id,
        "population"
            | "preventable_admissions_65plus"
            | "prehospital_nonacute_contacts"
            | "income_15_64_pct_region"
    )
}

#[test]
fn indicators_file_format_and_row_order() {
    let bytes = read(&demo_dir().join("indicators.csv"));
    assert!(
        bytes.len() < 6_000_000,
        "indicators.csv is {} bytes",
        bytes.len()
    );
    assert!(!bytes.contains(&b'\r'));
    let (header, obs) = indicators();
    assert_eq!(
        *header,
        [
            "area_code",
            "indicator",
            "period",
            "numerator",
            "denominator",
            "age_band",
            "sex",
            "segment"
        ]
    );
    let bands: Vec<&str> = lighed_demo::spec::ESP_BANDS.to_vec();
    let key = |o: &Obs| {
        let b = if o.band.is_empty() {
            0
        } else {
            1 + bands.iter().position(|x| *x == o.band).expect("known band")
        };
        (
            o.area.clone(),
            o.indicator.clone(),
            o.period.clone(),
            b,
            o.sex.clone(),
        )
    };
    for w in obs.windows(2) {
        assert!(
            key(&w[0]) < key(&w[1]),
            "rows sorted and unique: {:?} !< {:?}",
            w[0],
            w[1]
        );
    }
    for o in obs {
        assert!(o.segment.is_empty());
        assert!(YEARS.contains(&o.period.as_str()), "{o:?}");
        assert!(o.sex.is_empty() || o.sex == "1" || o.sex == "2");
        if o.indicator == "income_15_64_pct_region" {
            let v: f64 = o.num.parse().expect("decimal with a point");
            assert!(
                o.num.split('.').nth(1).is_some_and(|d| d.len() == 1),
                "{o:?}"
            );
            assert!((20.0..200.0).contains(&v) && o.den.is_empty(), "{o:?}");
            continue;
        }
        if o.indicator == "population" {
            assert!(o.den.is_empty() && o.num_u64().is_some(), "{o:?}");
            continue;
        }
        let den = o.den_u64().expect("denominator present");
        if let (Some(n), true) = (o.num_u64(), is_proportion(&o.indicator)) {
            assert!(n <= den, "numerator ≤ denominator: {o:?}");
        }
        if matches!(
            o.indicator.as_str(),
            "low_self_rated_health" | "low_health_literacy" | "loneliness" | "daily_smoking"
        ) {
            assert!(
                o.period == "2021" || o.period == "2025",
                "survey period {o:?}"
            );
        }
    }
}

#[test]
fn municipality_rows_are_sums_of_parishes_and_population_matches_folk1a() {
    let (_, obs) = indicators();
    let (_, f) = folk1a();
    let parish_geo = parishes();
    let munis: BTreeSet<String> = municipalities().into_iter().map(|r| r[0].clone()).collect();
    let housing_codes: BTreeSet<String> = housing().into_iter().map(|r| r[0].clone()).collect();
    // Every area is a known parish, housing area or municipality.
    for o in obs {
        assert!(
            parish_geo.contains_key(&o.area)
                || housing_codes.contains(&o.area)
                || munis.contains(&o.area),
            "unknown area {o:?}"
        );
    }
    // Σ parishes per (municipality, indicator, period) for non-band rows.
    let mut sums: BTreeMap<(String, String, String), (u64, u64)> = BTreeMap::new();
    let mut parish_indicators = BTreeSet::new();
    for o in obs.iter().filter(|o| parish_geo.contains_key(&o.area)) {
        assert!(
            o.band.is_empty() && o.sex.is_empty(),
            "parish rows are totals: {o:?}"
        );
        parish_indicators.insert(o.indicator.clone());
        let m = parish_geo[&o.area][2].clone();
        let e = sums
            .entry((m, o.indicator.clone(), o.period.clone()))
            .or_default();
        e.0 += o.num_u64().expect("parish numerators are never missing");
        e.1 += o.den_u64().unwrap_or(0);
    }
    assert!(!parish_indicators.contains("convicted_18plus"));
    assert!(!parish_indicators.contains("income_15_64_pct_region"));
    assert_eq!(parish_indicators.len(), 15);
    let mut checked = 0;
    for o in obs
        .iter()
        .filter(|o| munis.contains(&o.area) && o.band.is_empty())
    {
        assert_ne!(o.indicator, "income_15_64_pct_region");
        if o.indicator == "population" {
            let folk = f[&(
                o.area.clone(),
                "TOT".into(),
                "IALT".into(),
                format!("{}K1", o.period),
            )];
            assert_eq!(o.num_u64(), Some(folk), "population = FOLK1A for {o:?}");
        }
        if let Some(&(n, d)) = sums.get(&(o.area.clone(), o.indicator.clone(), o.period.clone())) {
            assert_eq!(o.num_u64(), Some(n), "numerator = Σ parishes for {o:?}");
            assert_eq!(
                o.den_u64().unwrap_or(0),
                d,
                "denominator = Σ parishes for {o:?}"
            );
            checked += 1;
        } else {
            assert_eq!(o.indicator, "convicted_18plus", "no parish rows for {o:?}");
        }
    }
    // 19 municipalities × (11 register indicators × 5 years + 4 survey × 2 years).
    assert_eq!(checked, 19 * (11 * 5 + 4 * 2));
}

#[test]
fn band_rows_match_folk1a_and_sum_to_the_total_row() {
    let (_, obs) = indicators();
    let (_, f) = folk1a();
    let bands = lighed_demo::spec::ESP_BANDS;
    let mut total: BTreeMap<(String, String, String), u64> = BTreeMap::new();
    let mut band_sum: BTreeMap<(String, String, String), u64> = BTreeMap::new();
    let mut missing = BTreeSet::new();
    let mut n_band_rows = 0;
    let mut small_numerators = 0;
    for o in obs {
        let k = (o.area.clone(), o.indicator.clone(), o.period.clone());
        if o.band.is_empty() {
            if o.indicator == "income_15_64_pct_region" {
                continue;
            }
            if let Some(n) = o.num_u64() {
                total.insert(k, n);
            }
            continue;
        }
        n_band_rows += 1;
        assert!(
            o.area.len() == 3,
            "band rows only for municipalities: {o:?}"
        );
        assert!(matches!(
            o.indicator.as_str(),
            "copd_prevalence" | "type2_diabetes_prevalence"
        ));
        let bi = bands.iter().position(|b| *b == o.band).expect("ESP band");
        let (lo, hi) = (bi * 5, if bi == 18 { 99 } else { bi * 5 + 4 });
        let persons: u64 = (lo..=hi)
            .map(|a| {
                f[&(
                    o.area.clone(),
                    o.sex.clone(),
                    a.to_string(),
                    format!("{}K1", o.period),
                )]
            })
            .sum();
        assert_eq!(
            o.den_u64(),
            Some(persons),
            "band denominator = FOLK1A: {o:?}"
        );
        match o.num_u64() {
            Some(n) => {
                *band_sum.entry(k).or_default() += n;
                small_numerators += usize::from(n < 5);
            }
            None => {
                missing.insert(k);
            }
        }
    }
    assert_eq!(n_band_rows, 19 * 2 * 5 * 19 * 2);
    let n_missing = obs.iter().filter(|o| o.num.is_empty()).count();
    assert!((5..=15).contains(&n_missing), "{n_missing} missing cells");
    assert!(
        small_numerators > 50,
        "small numerators exercise suppression"
    );
    for (k, s) in &band_sum {
        if missing.contains(k) {
            assert!(*s <= total[k], "{k:?}");
        } else {
            assert_eq!(*s, total[k], "Σ bands = total for {k:?}");
        }
    }
}

/// Great-circle distance in km (haversine, R = 6371 km).
fn km(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * 6371.0 * a.sqrt().asin()
}

#[test]
fn housing_areas_lie_in_real_parishes_and_are_subsets_of_them() {
    let rows = housing();
    let parish_geo = parishes();
    let munis: BTreeSet<String> = municipalities().into_iter().map(|r| r[0].clone()).collect();
    assert!(
        (40..=80).contains(&rows.len()),
        "{} housing areas",
        rows.len()
    );
    assert!(
        rows.iter().filter(|r| r[2] == "657").count() >= 5,
        "≥ 5 in Herning"
    );
    let names: BTreeSet<&str> = rows.iter().map(|r| r[1].as_str()).collect();
    for required in [
        "Holtbjerg",
        "Fruehøj/Porshøj",
        "Brændgårdsparken",
        "Gellerup/Toveshøj",
        "Bispehaven",
        "Håndværkerparken",
        "Skovgårdsparken",
        "Langkærparken",
        "Gl. Jennumparken",
        "Glarbjergvej-området",
        "Sundparken",
        "Trekanten",
    ] {
        assert!(names.contains(required), "missing {required}");
    }
    for r in &rows {
        assert!(munis.contains(&r[2]), "{r:?}");
        let p = parish_geo
            .get(&r[3])
            .unwrap_or_else(|| panic!("unknown parish {r:?}"));
        assert_eq!(p[2], r[2], "parish in the same municipality: {r:?}");
        let seq = r[0]
            .strip_prefix(&format!("{}-B", r[2]))
            .expect("code prefix");
        assert!(
            seq.len() == 2 && seq.bytes().all(|b| b.is_ascii_digit()),
            "{r:?}"
        );
        let f = |s: &str| s.parse::<f64>().expect("coordinate");
        let d = km(f(&r[4]), f(&r[5]), f(&p[3]), f(&p[4]));
        assert!(d <= 1.5, "{} is {d:.2} km from its parish centroid", r[0]);
        assert!(r[6] == "public" || r[6] == "invented");
    }
    // Each housing area's counts are a subset of its host parish's counts.
    let (_, obs) = indicators();
    let host: BTreeMap<String, String> =
        rows.iter().map(|r| (r[0].clone(), r[3].clone())).collect();
    let mut by_key: BTreeMap<(String, String, String), &Obs> = BTreeMap::new();
    for o in obs.iter().filter(|o| o.band.is_empty()) {
        by_key.insert((o.area.clone(), o.indicator.clone(), o.period.clone()), o);
    }
    let mut residents_2025 = Vec::new();
    for (code, parish) in &host {
        for ((a, ind, per), o) in by_key.range((code.clone(), String::new(), String::new())..) {
            if a != code {
                break;
            }
            if ind == "population" && per == "2025" {
                residents_2025.push(o.num_u64().expect("population"));
            }
            if let Some(p) = by_key.get(&(parish.clone(), ind.clone(), per.clone())) {
                assert!(o.num_u64() <= p.num_u64(), "{o:?} ≤ {p:?}");
                assert!(o.den_u64() <= p.den_u64(), "{o:?} ≤ {p:?}");
            }
        }
    }
    assert_eq!(residents_2025.len(), rows.len());
    assert!(
        residents_2025.iter().all(|n| (400..=6_500).contains(n)),
        "{residents_2025:?}"
    );
    let large = residents_2025.iter().filter(|&&n| n >= 1_000).count();
    assert!(
        large * 2 > rows.len() && large < rows.len(),
        "most, not all, ≥ 1,000"
    );
}

#[test]
fn regional_levels_are_near_the_public_figures_and_deprivation_shows() {
    let (_, obs) = indicators();
    let munis: BTreeSet<String> = municipalities().into_iter().map(|r| r[0].clone()).collect();
    let share = |ind: &str, period: &str| {
        let (n, d) = obs
            .iter()
            .filter(|o| munis.contains(&o.area) && o.band.is_empty())
            .filter(|o| o.indicator == ind && o.period == period)
            .fold((0u64, 0u64), |(n, d), o| {
                (n + o.num_u64().unwrap_or(0), d + o.den_u64().unwrap_or(0))
            });
        n as f64 / d as f64
    };
    // Daily smoking ~13 % in 2021 (DEFACTUM); outside labour 18–64 15–20 %; COPD 4–6 % of
    // 35+; type 2 diabetes 4–6 % (levels stated in the brief from DANISH-DATA.md §4).
    assert!((0.11..0.15).contains(&share("daily_smoking", "2021")));
    assert!((0.15..0.20).contains(&share("outside_labour_edu_18_64", "2021")));
    assert!((0.04..0.06).contains(&share("copd_prevalence", "2021")));
    assert!((0.04..0.06).contains(&share("type2_diabetes_prevalence", "2021")));
    // The named deprived areas are far above the region on outside-labour-market.
    let rows = housing();
    let code_of = |name: &str| {
        rows.iter()
            .find(|r| r[1] == name)
            .map(|r| r[0].clone())
            .expect(name)
    };
    let area_share = |code: &str| {
        let o = obs
            .iter()
            .find(|o| {
                o.area == code && o.indicator == "outside_labour_edu_18_64" && o.period == "2025"
            })
            .expect("row");
        o.num_u64().unwrap_or(0) as f64 / o.den_u64().unwrap_or(1) as f64
    };
    let gellerup = area_share(&code_of("Gellerup/Toveshøj"));
    assert!((0.40..0.56).contains(&gellerup), "Gellerup {gellerup}");
    for name in ["Bispehaven", "Sundparken", "Gl. Jennumparken", "Holtbjerg"] {
        let s = area_share(&code_of(name));
        assert!(
            s > 1.8 * share("outside_labour_edu_18_64", "2025"),
            "{name} {s}"
        );
    }
}

#[test]
fn some_housing_areas_meet_section_61a_and_61b() {
    // Almenboligloven § 61 a stk. 1 and § 61 b thresholds (DANISH-DATA.md §3.1), computed
    // here independently of the generator's README table.
    let (_, obs) = indicators();
    let rows = housing();
    let munis: BTreeSet<String> = municipalities().into_iter().map(|r| r[0].clone()).collect();
    let idx = common::totals_index(obs);
    let get = |area: &str, ind: &str, per: &str| {
        idx.get(&(area.to_string(), ind.to_string(), per.to_string()))
            .cloned()
    };
    let share = |o: Option<Obs>| {
        let o = o.expect("row");
        o.num_u64().unwrap_or(0) as f64 / o.den_u64().unwrap_or(1).max(1) as f64
    };
    let national = ["2024", "2025"]
        .iter()
        .map(|p| {
            let (n, d) = obs
                .iter()
                .filter(|o| {
                    munis.contains(&o.area) && o.indicator == "convicted_18plus" && o.period == *p
                })
                .fold((0, 0), |(n, d), o| {
                    (n + o.num_u64().unwrap_or(0), d + o.den_u64().unwrap_or(0))
                });
            n as f64 / d as f64
        })
        .sum::<f64>()
        / 2.0;
    let (mut udsat, mut forebyggelse) = (0, 0);
    for r in &rows {
        let c = &r[0];
        let avg2 = |ind: &str| (share(get(c, ind, "2024")) + share(get(c, ind, "2025"))) / 2.0;
        let outside = avg2("outside_labour_edu_18_64");
        let conv = avg2("convicted_18plus") / national;
        let basic = share(get(c, "basic_education_30_59", "2025"));
        let income: f64 = get(c, "income_15_64_pct_region", "2025")
            .expect("income")
            .num
            .parse()
            .expect("number");
        let nw = share(get(c, "non_western_origin", "2025"));
        let residents = get(c, "population", "2025")
            .and_then(|o| o.num_u64())
            .expect("population");
        let a = [outside > 0.40, conv >= 3.0, basic > 0.60, income < 55.0]
            .iter()
            .filter(|x| **x)
            .count();
        let b = [outside > 0.30, conv >= 2.0, basic > 0.60, income < 65.0]
            .iter()
            .filter(|x| **x)
            .count();
        if residents >= 1000 && a >= 2 {
            udsat += 1;
        } else if residents >= 1000 && nw > 0.30 && b >= 2 {
            forebyggelse += 1;
        }
    }
    assert!((1..=8).contains(&udsat), "{udsat} udsatte");
    assert!(
        (1..=15).contains(&forebyggelse),
        "{forebyggelse} forebyggelsesområder"
    );
}
