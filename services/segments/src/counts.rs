//! Aggregate counts per (area, segment, age band × sex): the only thing microdata turns into,
//! and the form in which segment aggregates are stored and read back as long-format
//! observations.

use std::collections::{BTreeMap, BTreeSet};

use lighed_core::obs::Observation;
use lighed_core::stats::esp2013::{AGE_BANDS, band_index};

use crate::definition::Definitions;
use crate::error::SegmentError;

/// Age bands × sexes: cell `band·2 + sex` (sex 0 = men, code `1`; 1 = women, code `2`).
pub const CELLS: usize = AGE_BANDS.len() * 2;

/// The long-format indicator id of segment aggregates: numerator = persons in the segment,
/// denominator = persons in the segment's base population (a proportion), `segment` = the
/// segment id, `age_band` and `sex` = the cell (both empty for the area's total).
pub const SEGMENT_INDICATOR: &str = "segment_persons";

/// The age band (index into [`AGE_BANDS`]) of an age in years.
pub fn band_of_age(age: u8) -> usize {
    (age as usize / 5).min(AGE_BANDS.len() - 1)
}

/// Counts of persons per area, segment and age-band × sex cell: `[members, base]`.
///
/// These are raw counts (the small ones included): they may be stored, never shown. Every
/// released number goes through [`crate::release::ProtectedRelease`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentCounts {
    segment_ids: Vec<String>,
    areas: Vec<String>,
    /// 32-bit counts (half the memory of 64-bit ones; a cell holds far fewer than 2³² persons).
    counts: Vec<[u32; 2]>,
}

impl SegmentCounts {
    /// Builds counts from parts; `counts[(area·S + segment)·CELLS + cell] = [members, base]`.
    /// Areas must be sorted and unique, and `members ≤ base` in every cell.
    pub(crate) fn from_parts(
        segment_ids: Vec<String>,
        areas: Vec<String>,
        counts: Vec<[u32; 2]>,
    ) -> SegmentCounts {
        debug_assert_eq!(counts.len(), areas.len() * segment_ids.len() * CELLS);
        debug_assert!(areas.windows(2).all(|w| w[0] < w[1]));
        SegmentCounts {
            segment_ids,
            areas,
            counts,
        }
    }

    /// Area codes, sorted.
    pub fn areas(&self) -> &[String] {
        &self.areas
    }

    /// Segment ids in definitions order.
    pub fn segment_ids(&self) -> &[String] {
        &self.segment_ids
    }

    /// `[members, base]` of one cell.
    pub fn cell(&self, area: usize, segment: usize, cell: usize) -> [u64; 2] {
        let [m, b] = self.counts[(area * self.segment_ids.len() + segment) * CELLS + cell];
        [m as u64, b as u64]
    }

    /// `[members, base]` summed over the cells of an area.
    pub fn total(&self, area: usize, segment: usize) -> [u64; 2] {
        let start = (area * self.segment_ids.len() + segment) * CELLS;
        self.counts[start..start + CELLS]
            .iter()
            .fold([0u64, 0u64], |acc, c| {
                [acc[0] + c[0] as u64, acc[1] + c[1] as u64]
            })
    }

    /// The aggregates as long-format observations, for storage as a versioned dataset (never
    /// for display): per area and segment one total row (empty age band and sex) and one row
    /// per non-empty age-band × sex cell, indicator [`SEGMENT_INDICATOR`]. Sorted by area,
    /// segment, then cell. Absent cells mean 0 persons.
    pub fn to_observations_for_storage(&self, period: &str) -> Vec<Observation> {
        let mut out = Vec::new();
        for (a, area) in self.areas.iter().enumerate() {
            for (s, seg) in self.segment_ids.iter().enumerate() {
                let [m, b] = self.total(a, s);
                if b == 0 {
                    continue;
                }
                let obs = |num: u64, den: u64, band: &str, sex: &str| Observation {
                    area_code: area.clone(),
                    indicator: SEGMENT_INDICATOR.to_string(),
                    period: period.to_string(),
                    numerator: Some(num as f64),
                    denominator: Some(den as f64),
                    age_band: band.to_string(),
                    sex: sex.to_string(),
                    segment: seg.clone(),
                    missing: None,
                };
                out.push(obs(m, b, "", ""));
                for c in 0..CELLS {
                    let [m, b] = self.cell(a, s, c);
                    if b > 0 {
                        out.push(obs(
                            m,
                            b,
                            AGE_BANDS[c / 2],
                            if c % 2 == 0 { "1" } else { "2" },
                        ));
                    }
                }
            }
        }
        out
    }

    /// Reads aggregates back from observations (e.g. a stored dataset, or register cross-tabs
    /// in the long format). Only [`SEGMENT_INDICATOR`] observations with a segment are used.
    ///
    /// Rules: one period; every segment id is in `definitions`; counts are whole numbers with
    /// `0 ≤ members ≤ base`; cells carry both an age band of [`AGE_BANDS`] and a sex, or
    /// neither (the total); a total, when given, equals the sum of its cells; missing
    /// (suppressed) values are rejected, because exact counts are needed; absent cells are 0.
    /// Every segment of the definitions must have at least one observation.
    pub fn from_observations(
        observations: &[Observation],
        definitions: &Definitions,
    ) -> Result<SegmentCounts, SegmentError> {
        let nseg = definitions.segments.len();
        let mut period: Option<&str> = None;
        let mut cells: BTreeMap<(&str, usize), [[u64; 2]; CELLS]> = BTreeMap::new();
        let mut seen_cells: BTreeSet<(&str, usize, usize)> = BTreeSet::new();
        let mut totals: BTreeMap<(&str, usize), (usize, [u64; 2])> = BTreeMap::new();
        let mut used = vec![false; nseg];
        for (index, o) in observations.iter().enumerate() {
            if o.indicator != SEGMENT_INDICATOR || o.segment.is_empty() {
                continue;
            }
            let bad = |message: String| SegmentError::BadObservation {
                index,
                area_code: o.area_code.clone(),
                segment: o.segment.clone(),
                message,
            };
            let s = definitions
                .segments
                .iter()
                .position(|d| d.id == o.segment)
                .ok_or_else(|| bad("segment is not in the definitions".into()))?;
            used[s] = true;
            match period {
                None => period = Some(&o.period),
                Some(p) if p != o.period => {
                    return Err(bad(format!(
                        "period {} differs from {p}: score one period at a time",
                        o.period
                    )));
                }
                Some(_) => {}
            }
            if o.missing.is_some() {
                return Err(bad(
                    "the value is missing or suppressed: segment scores need exact counts".into(),
                ));
            }
            let whole = |v: Option<f64>, what: &str| -> Result<u64, SegmentError> {
                match v {
                    Some(x)
                        if x.is_finite()
                            && x >= 0.0
                            && x.fract() == 0.0
                            && x <= u32::MAX as f64 =>
                    {
                        Ok(x as u64)
                    }
                    _ => Err(bad(format!(
                        "{what} must be a whole number of persons from 0 to {}",
                        u32::MAX
                    ))),
                }
            };
            let m = whole(o.numerator, "numerator")?;
            let b = whole(o.denominator, "denominator")?;
            if m > b {
                return Err(bad(format!("numerator {m} exceeds denominator {b}")));
            }
            let key = (o.area_code.as_str(), s);
            match (o.age_band.is_empty(), o.sex.is_empty()) {
                (true, true) => {
                    if totals.insert(key, (index, [m, b])).is_some() {
                        return Err(bad("the total appears twice".into()));
                    }
                }
                (false, false) => {
                    let band = band_index(&o.age_band).ok_or_else(|| {
                        bad(format!(
                            "age band '{}' is not one of {}",
                            o.age_band,
                            AGE_BANDS.join(", ")
                        ))
                    })?;
                    let sex = match o.sex.as_str() {
                        "1" => 0,
                        "2" => 1,
                        other => return Err(bad(format!("sex '{other}' must be 1 or 2"))),
                    };
                    let c = band * 2 + sex;
                    if !seen_cells.insert((key.0, key.1, c)) {
                        return Err(bad(format!(
                            "cell {} sex {} appears twice",
                            o.age_band, o.sex
                        )));
                    }
                    cells.entry(key).or_insert([[0; 2]; CELLS])[c] = [m, b];
                }
                _ => {
                    return Err(bad(
                        "age_band and sex must both be set (a cell) or both empty (the total)"
                            .into(),
                    ));
                }
            }
        }
        if let Some(s) = used.iter().position(|u| !u) {
            return Err(SegmentError::NoData(format!(
                "no observations of indicator {SEGMENT_INDICATOR} for segment '{}'",
                definitions.segments[s].id
            )));
        }
        for (key, (index, [m, b])) in &totals {
            let sum = cells.get(key).map_or([0, 0], |c| {
                c.iter()
                    .fold([0, 0], |acc, x| [acc[0] + x[0], acc[1] + x[1]])
            });
            if sum != [*m, *b] {
                return Err(SegmentError::BadObservation {
                    index: *index,
                    area_code: key.0.to_string(),
                    segment: definitions.segments[key.1].id.clone(),
                    message: format!(
                        "total {m}/{b} differs from the sum of its age-band × sex cells {}/{}: cells are needed for age-sex standardisation",
                        sum[0], sum[1]
                    ),
                });
            }
        }
        let areas: Vec<String> = cells
            .keys()
            .map(|(a, _)| a.to_string())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut counts = vec![[0u32; 2]; areas.len() * nseg * CELLS];
        for ((area, s), c) in &cells {
            let a = areas
                .binary_search_by(|x| x.as_str().cmp(area))
                .unwrap_or(0);
            let start = (a * nseg + s) * CELLS;
            for (dst, src) in counts[start..start + CELLS].iter_mut().zip(c) {
                // each value was checked to be at most u32::MAX
                *dst = [src[0] as u32, src[1] as u32];
            }
        }
        Ok(SegmentCounts::from_parts(
            definitions.segments.iter().map(|d| d.id.clone()).collect(),
            areas,
            counts,
        ))
    }
}
