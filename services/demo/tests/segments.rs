//! The committed SYNTHETIC `segments.csv`: read through the real import path (`lighed-ingest`,
//! bundled registry) and validated by `lighed_segments::SegmentCounts::from_observations`
//! against the shipped definitions; written exactly as `to_observations_for_storage` writes;
//! bases equal the FOLK1A populations and housing-area residents; members rise with the
//! driving indicators and stay at plausible regional levels.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{demo_dir, folk1a, geography_dir, indicators, records, repo, totals_index};
use lighed_ingest::{ImportOptions, Reader, Registry};
use lighed_segments::{Definitions, SegmentCounts};

const AGE_BANDS: [&str; 19] = [
    "0-4", "5-9", "10-14", "15-19", "20-24", "25-29", "30-34", "35-39", "40-44", "45-49", "50-54",
    "55-59", "60-64", "65-69", "70-74", "75-79", "80-84", "85-89", "90+",
];

fn definitions() -> Definitions {
    let path = repo().join("models/segments/rm-focus-groups.toml");
    let text = std::fs::read_to_string(&path).expect("definitions");
    Definitions::from_toml("rm-focus-groups.toml", &text).expect("valid definitions")
}

fn observations() -> Vec<lighed_core::obs::Observation> {
    let registry = Registry::bundled().expect("bundled registry");
    let bytes = common::read(&demo_dir().join("segments.csv"));
    let mut r = Reader::new(
        "segments.csv",
        bytes.as_slice(),
        &ImportOptions::default(),
        &registry,
    )
    .expect("segments.csv header is accepted");
    let mut out = Vec::new();
    while let Some(batch) = r.next_batch(10_000) {
        out.extend(batch);
    }
    let summary = r.finish().expect("every row of segments.csv imports");
    assert_eq!(summary.observations as usize, out.len());
    assert_eq!(summary.rows_skipped, 0);
    out
}

/// Parish code → municipality code.
fn parish_municipality() -> BTreeMap<String, String> {
    records(&geography_dir().join("parishes.csv"), b',')
        .1
        .into_iter()
        .map(|r| (r[0].clone(), r[2].clone()))
        .collect()
}

#[test]
fn segments_csv_validates_against_the_shipped_definitions_and_round_trips() {
    let defs = definitions();
    let obs = observations();
    let counts = SegmentCounts::from_observations(&obs, &defs).expect("valid aggregates");
    let ids: Vec<&str> = defs.segments.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(counts.segment_ids(), ids.as_slice());
    assert_eq!(ids, lighed_demo::segments::SEGMENT_IDS);
    // The 623 parishes, no other area.
    let parishes: BTreeSet<String> = parish_municipality().into_keys().collect();
    assert_eq!(parishes.len(), 623);
    let areas: BTreeSet<String> = counts.areas().iter().cloned().collect();
    assert_eq!(areas, parishes);
    // Exactly the rows and row order the storage form has (totals, non-empty cells only).
    assert!(
        obs.iter()
            .all(|o| o.indicator == "segment_persons" && o.period == "2025" && o.missing.is_none())
    );
    let stored = counts.to_observations_for_storage("2025");
    assert_eq!(stored.len(), obs.len());
    for (i, (a, b)) in stored.iter().zip(&obs).enumerate() {
        assert_eq!(a, b, "row {}", i + 2);
    }
    // Small cells exist, so disclosure control is exercised; large ones too.
    let members: Vec<u64> = obs
        .iter()
        .filter(|o| !o.age_band.is_empty())
        .map(|o| o.numerator.unwrap() as u64)
        .collect();
    assert!(members.iter().any(|&m| (1..5).contains(&m)));
    assert!(members.iter().any(|&m| m >= 100));
}

/// FOLK1A persons of a municipality in 2025 for a sex code and an age range.
fn folk1a_persons(muni: &str, sex: &str, lo: usize, hi: usize) -> u64 {
    let (_, map) = folk1a();
    (lo..=hi)
        .map(|a| map[&(muni.into(), sex.into(), a.to_string(), "2025K1".into())])
        .sum()
}

#[test]
fn bases_are_the_population_of_each_cell() {
    let defs = definitions();
    let counts = SegmentCounts::from_observations(&observations(), &defs).unwrap();
    let muni_of = parish_municipality();
    let base_ages = [(16, 24), (65, 99), (18, 99), (18, 99)];
    // Sum the parish bases per municipality, segment and cell, and compare with FOLK1A.
    let mut sums: BTreeMap<(String, usize, usize), u64> = BTreeMap::new();
    for (a, code) in counts.areas().iter().enumerate() {
        for s in 0..4 {
            for c in 0..AGE_BANDS.len() * 2 {
                *sums.entry((muni_of[code].clone(), s, c)).or_default() += counts.cell(a, s, c)[1];
            }
        }
    }
    let munis: BTreeSet<String> = muni_of.values().cloned().collect();
    for m in &munis {
        for (s, &(lo, hi)) in base_ages.iter().enumerate() {
            for band in 0..AGE_BANDS.len() {
                let (blo, bhi) = (band * 5, if band == 18 { 99 } else { band * 5 + 4 });
                let (l, h) = (blo.max(lo), bhi.min(hi));
                for (sex_i, sex) in ["1", "2"].iter().enumerate() {
                    let want = if l <= h {
                        folk1a_persons(m, sex, l, h)
                    } else {
                        0
                    };
                    assert_eq!(
                        sums[&(m.clone(), s, band * 2 + sex_i)],
                        want,
                        "municipality {m}, segment {}, band {}, sex {sex}",
                        defs.segments[s].id,
                        AGE_BANDS[band]
                    );
                }
            }
        }
    }
    // Social housing: the base of a host parish = its housing areas' residents 18-64 (the
    // denominator of their outside_labour_edu_18_64 in 2025).
    let (_, housing) = records(&demo_dir().join("housing_areas.csv"), b',');
    let idx = totals_index(&indicators().1);
    let mut want: BTreeMap<String, u64> = BTreeMap::new();
    for h in &housing {
        let o = &idx[&(
            h[0].clone(),
            "outside_labour_edu_18_64".to_string(),
            "2025".to_string(),
        )];
        *want.entry(h[3].clone()).or_default() += o.den_u64().unwrap();
    }
    let s = 4;
    assert_eq!(defs.segments[s].id, "vulnerable_social_housing");
    for (a, code) in counts.areas().iter().enumerate() {
        let base = counts.total(a, s)[1];
        assert_eq!(base, want.get(code).copied().unwrap_or(0), "parish {code}");
        // No base outside 18-64.
        for c in 0..AGE_BANDS.len() * 2 {
            if c / 2 < 3 || c / 2 > 12 {
                assert_eq!(counts.cell(a, s, c), [0, 0]);
            }
        }
    }
}

/// Pooled prevalence of segment `s` in the quarter of parishes with the lowest and the highest
/// value of `driver` (2025 numerator / denominator).
fn low_high(counts: &SegmentCounts, s: usize, driver: &str) -> (f64, f64) {
    let idx = totals_index(&indicators().1);
    let mut by: Vec<(f64, [u64; 2])> = counts
        .areas()
        .iter()
        .enumerate()
        .filter_map(|(a, code)| {
            let o = idx.get(&(code.clone(), driver.to_string(), "2025".to_string()))?;
            let (n, d) = (o.num_u64()? as f64, o.den_u64()? as f64);
            // Parishes big enough for the driver to mean something.
            (d >= 300.0).then(|| (n / d, counts.total(a, s)))
        })
        .collect();
    assert!(by.len() > 200, "{driver}: {} parishes", by.len());
    by.sort_by(|a, b| a.0.total_cmp(&b.0));
    let q = by.len() / 4;
    let pooled = |xs: &[(f64, [u64; 2])]| {
        let (m, b) = xs
            .iter()
            .fold((0, 0), |(m, b), (_, c)| (m + c[0], b + c[1]));
        m as f64 / b as f64
    };
    (pooled(&by[..q]), pooled(&by[by.len() - q..]))
}

#[test]
fn members_rise_with_deprivation_at_plausible_levels() {
    let defs = definitions();
    let counts = SegmentCounts::from_observations(&observations(), &defs).unwrap();
    let region = |s: usize| {
        let (m, b) = (0..counts.areas().len())
            .map(|a| counts.total(a, s))
            .fold((0, 0), |(m, b), c| (m + c[0], b + c[1]));
        m as f64 / b as f64
    };
    // Regional levels (assumptions of the model, see data/demo/README.md).
    for (s, lo, hi) in [
        (0, 0.05, 0.11),
        (1, 0.06, 0.14),
        (2, 0.003, 0.01),
        (3, 0.07, 0.13),
        (4, 0.08, 0.30),
    ] {
        let p = region(s);
        assert!(
            (lo..=hi).contains(&p),
            "{}: regional prevalence {p}",
            defs.segments[s].id
        );
    }
    for (s, driver) in [
        (0, "outside_labour_edu_18_64"),
        (1, "living_alone_65plus"),
        (2, "prehospital_nonacute_contacts"),
        (3, "outside_labour_edu_18_64"),
    ] {
        let (low, high) = low_high(&counts, s, driver);
        assert!(
            high > 1.15 * low,
            "{} vs {driver}: lowest quarter {low}, highest {high}",
            defs.segments[s].id
        );
    }
    // The social-housing segment is more prevalent than NEET in the region (its base is the
    // housing areas, deprived by construction).
    assert!(region(4) > region(0));
}
