//! Segment scores from a [`ProtectedRelease`]: prevalence, over-representation, share of the
//! region's segment, and a ranking of area × segment cells by need.
//!
//! Every number is computed from released cells only ([`Cell::Released`]); where a count it
//! needs is suppressed, the number is `None` and the reason says why. For a cell with `O`
//! members, base `n`, and `E` expected members:
//!
//! - **Prevalence** `100·O/n` % with Wilson score limits (`lighed_core::stats::wilson`):
//!   binomial sampling of the base's persons; exact counts here, so the interval expresses the
//!   chance variation of a population of that size, as in PHE Fingertips.
//! - **Over-representation** `O/E`, an indirectly standardised ratio:
//!   `E = Σ_c n_c · O_c^R / n_c^R` over the 19 age bands × 2 sexes, with `O^R`, `n^R` the
//!   region's counts (the sum over all areas of the data). Limits of `O` by the exact Poisson
//!   method below 10 and Byar's approximation from 10 (`lighed_core::stats::isr::isratio`;
//!   Breslow & Day 1987). 1 = as expected from the region's age-sex-specific rates. Assumes
//!   Poisson counts and `E` known exactly; breaks when `E` is tiny (very wide limits).
//! - **Excess** `O − E`: persons above the number the region's rates predict — the default
//!   ranking key, because outreach reaches persons, not ratios.
//! - **Share of the region** `O / O^R`: the part of the region's segment living in the area.
//!
//! Ranking (1 = highest need) uses only cells whose members and base are released, by the key
//! of [`RankBy`], ties by segment id, then area code; it is a permutation of `1..n`.

use lighed_core::stats::isr::isratio;
use lighed_core::stats::wilson::proportion;
use lighed_core::stats::{Confidence, Estimate};
use serde::{Deserialize, Serialize};

use crate::error::SegmentError;
use crate::release::{Cell, Column, ProtectedRelease};

/// The ranking key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RankBy {
    /// Members above the expected number, `O − E` (default).
    #[default]
    Excess,
    /// Members `O`.
    Persons,
    /// Over-representation `O/E`.
    Ratio,
    /// Prevalence `O/n`.
    Prevalence,
}

impl RankBy {
    /// Parses `excess`, `persons`, `ratio`, `prevalence`.
    pub fn parse(s: &str) -> Option<RankBy> {
        Some(match s {
            "excess" => RankBy::Excess,
            "persons" => RankBy::Persons,
            "ratio" => RankBy::Ratio,
            "prevalence" => RankBy::Prevalence,
            _ => return None,
        })
    }
}

/// What to score.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScoreQuery {
    /// Area codes of the scope; `None` = every area. Codes not in the data are listed in
    /// [`SegmentScores::unknown_areas`].
    pub scope: Option<Vec<String>>,
    /// Segment ids; `None` = all.
    pub segments: Option<Vec<String>>,
    /// The ranking key.
    pub rank_by: RankBy,
    /// Keep only the first `top` ranked cells (and no unranked ones).
    pub top: Option<usize>,
    /// Confidence level of the intervals (default 95 %).
    pub confidence: Confidence,
}

/// The scored numbers of one population (an area, the scope or the region) for one segment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SegmentNumbers {
    /// Persons in the segment.
    pub persons: Cell,
    /// Persons in the base population.
    pub base: Cell,
    /// Prevalence in % with Wilson limits; `None` unless both counts are released.
    pub prevalence: Option<Estimate>,
    /// Expected persons at the region's age-sex-specific rates.
    pub expected: Option<f64>,
    /// Over-representation `O/E` with exact/Byar's limits.
    pub ratio: Option<Estimate>,
    /// `O − E`.
    pub excess: Option<f64>,
    /// Share of the region's segment members, in %.
    pub share_of_region: Option<f64>,
}

/// One area × segment cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CellScore {
    /// Area code.
    pub area_code: String,
    /// Segment id.
    pub segment: String,
    /// The numbers.
    pub numbers: SegmentNumbers,
    /// 1 = highest need; `None` when a count it needs is suppressed.
    pub rank: Option<u32>,
    /// Plain words.
    pub reason: String,
}

/// Totals of one segment over the scope and over the region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SegmentTotals {
    /// Segment id.
    pub segment: String,
    /// Segment label.
    pub label: String,
    /// Base population label.
    pub base_label: String,
    /// The scope (equal to the region when no scope was given).
    pub scope: SegmentNumbers,
    /// The region: every area of the data.
    pub region: SegmentNumbers,
    /// False when the segment's table could not be protected (it shows only zeros then).
    pub protected: bool,
}

/// The answer to a [`ScoreQuery`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SegmentScores {
    /// The disclosure threshold applied.
    pub k: u64,
    /// `name version` of the definitions.
    pub definitions: String,
    /// Ranked cells first (by rank), then unranked cells by segment and area.
    pub cells: Vec<CellScore>,
    /// Per requested segment.
    pub totals: Vec<SegmentTotals>,
    /// Scope codes that are not in the data (they hold no persons).
    pub unknown_areas: Vec<String>,
    /// How the numbers were computed.
    pub method: String,
}

/// The method text attached to every answer.
pub const METHOD: &str = "prevalence: Wilson score interval; over-representation: indirectly \
standardised ratio O/E at the region's age-sex-specific rates (19 bands x 2 sexes), exact Poisson \
limits below 10 persons, Byar's from 10; excess = O - E; disclosure control: no cell of 1..k-1 \
persons, complementary suppression over areas and region margins, linked across segments; \
numbers from suppressed cells are not shown";

fn numbers(
    persons: Cell,
    base: Cell,
    expected: Option<f64>,
    region_persons: Cell,
    confidence: Confidence,
) -> SegmentNumbers {
    let (o, n) = (persons.value(), base.value());
    let prevalence = match (o, n) {
        (Some(o), Some(n)) if n > 0 => proportion(o as f64, n as f64, confidence, 100.0).ok(),
        _ => None,
    };
    let expected = match (o, n) {
        (Some(_), Some(_)) => expected,
        _ => None,
    };
    let ratio = match (o, expected) {
        (Some(o), Some(e)) if e > 0.0 => isratio(o as f64, e, confidence, 1.0).ok(),
        _ => None,
    };
    let excess = match (o, expected) {
        (Some(o), Some(e)) => Some(o as f64 - e),
        _ => None,
    };
    let share_of_region = match (o, region_persons.value()) {
        (Some(o), Some(r)) if r > 0 => Some(100.0 * o as f64 / r as f64),
        _ => None,
    };
    SegmentNumbers {
        persons,
        base,
        prevalence,
        expected,
        ratio,
        excess,
        share_of_region,
    }
}

fn fmt_pct(e: &Option<Estimate>) -> Option<String> {
    e.as_ref()
        .and_then(|e| e.value.map(|v| format!("{v:.1} %")))
}

fn reason(
    label: &str,
    base_label: &str,
    k: u64,
    n: &SegmentNumbers,
    region: &SegmentNumbers,
    confidence: Confidence,
) -> String {
    let hidden = |c: Cell| match c {
        Cell::Suppressed(lighed_core::disclosure::Reason::Primary) => {
            format!("fewer than {k} persons: not shown")
        }
        Cell::Suppressed(_) => {
            "not shown, so that a small number elsewhere cannot be worked out".to_string()
        }
        Cell::Withheld => "not shown: the total contains suppressed cells".to_string(),
        Cell::Released(_) => String::new(),
    };
    let Some(o) = n.persons.value() else {
        return format!("{label}: {}", hidden(n.persons));
    };
    let mut parts = vec![format!("{label}: {o} persons")];
    match (&fmt_pct(&n.prevalence), n.base.value()) {
        (Some(p), _) => {
            let reg = fmt_pct(&region.prevalence)
                .map(|r| format!(" ({r} in the region)"))
                .unwrap_or_default();
            parts.push(format!("{p} of {base_label}{reg}"));
        }
        (None, None) => parts.push(format!("base population {}", hidden(n.base))),
        (None, Some(_)) => {}
    }
    if let (Some(r), Some(e)) = (&n.ratio, n.expected) {
        let level = (confidence.level() * 100.0).round();
        let lim = match (r.lower, r.upper) {
            (Some(l), Some(u)) => format!(" ({level} % CI {l:.2}-{u:.2})"),
            _ => String::new(),
        };
        parts.push(format!(
            "{:.2}x the {e:.1} expected from the region's age-sex rates{lim}",
            r.value.unwrap_or(0.0)
        ));
    }
    if let Some(x) = n.excess {
        if x >= 0.0 {
            parts.push(format!("{x:.1} more than expected"));
        } else {
            parts.push(format!("{:.1} fewer than expected", -x));
        }
    }
    parts.join(", ")
}

/// Scores the cells of a release for a query (see the [module docs](self)).
pub fn score(
    release: &ProtectedRelease,
    query: &ScoreQuery,
) -> Result<SegmentScores, SegmentError> {
    let infos = release.segments();
    let segs: Vec<usize> = match &query.segments {
        None => (0..infos.len()).collect(),
        Some(ids) => {
            let mut v = Vec::new();
            for id in ids {
                let s = infos
                    .iter()
                    .position(|i| &i.id == id)
                    .ok_or_else(|| SegmentError::UnknownSegment(id.clone()))?;
                if !v.contains(&s) {
                    v.push(s);
                }
            }
            v
        }
    };
    if query.top == Some(0) {
        return Err(SegmentError::InvalidArgument {
            argument: "top".into(),
            message: "must be at least 1".into(),
        });
    }
    let areas = release.areas();
    let region_row = areas.len();
    let mut unknown_areas = Vec::new();
    let (scope_rows, whole): (Vec<usize>, bool) = match &query.scope {
        None => ((0..areas.len()).collect(), true),
        Some(codes) => {
            let mut rows = Vec::new();
            for c in codes {
                match areas.binary_search(c) {
                    Ok(r) => rows.push(r),
                    Err(_) => unknown_areas.push(c.clone()),
                }
            }
            rows.sort_unstable();
            rows.dedup();
            unknown_areas.sort();
            unknown_areas.dedup();
            let whole = rows.len() == areas.len();
            (rows, whole)
        }
    };
    let conf = query.confidence;
    let k = release.k().get();
    let mut cells = Vec::new();
    let mut totals = Vec::new();
    for &s in &segs {
        let info = &infos[s];
        let region_persons = release.cell(s, region_row, Column::Members);
        let region = numbers(
            region_persons,
            release.cell(s, region_row, Column::Base),
            release.expected(s, region_row),
            region_persons,
            conf,
        );
        for &r in &scope_rows {
            let n = numbers(
                release.cell(s, r, Column::Members),
                release.cell(s, r, Column::Base),
                release.expected(s, r),
                region_persons,
                conf,
            );
            cells.push(CellScore {
                area_code: areas[r].clone(),
                segment: info.id.clone(),
                reason: reason(&info.label, &info.base_label, k, &n, &region, conf),
                numbers: n,
                rank: None,
            });
        }
        let scope = if whole {
            region.clone()
        } else {
            // A scope total is released only when every part is (then it is a sum of shown
            // numbers and reveals nothing new).
            let total = |col: Column| {
                let mut sum = 0u64;
                for &r in &scope_rows {
                    match release.cell(s, r, col) {
                        Cell::Released(v) => sum += v,
                        _ => return Cell::Withheld,
                    }
                }
                Cell::Released(sum)
            };
            let (persons, base) = (total(Column::Members), total(Column::Base));
            let expected = match (persons, base) {
                (Cell::Released(_), Cell::Released(_)) => scope_rows
                    .iter()
                    .map(|&r| release.expected(s, r))
                    .sum::<Option<f64>>(),
                _ => None,
            };
            numbers(persons, base, expected, region_persons, conf)
        };
        totals.push(SegmentTotals {
            segment: info.id.clone(),
            label: info.label.clone(),
            base_label: info.base_label.clone(),
            scope,
            region,
            protected: release.is_protected(s),
        });
    }
    // Ranking.
    let key = |c: &CellScore| -> Option<f64> {
        let n = &c.numbers;
        n.persons.value()?;
        n.base.value()?;
        match query.rank_by {
            RankBy::Excess => n.excess,
            RankBy::Persons => n.persons.value().map(|v| v as f64),
            RankBy::Ratio => n.ratio.as_ref().and_then(|r| r.value),
            RankBy::Prevalence => n.prevalence.as_ref().and_then(|p| p.value),
        }
    };
    let mut ranked: Vec<(f64, usize)> = cells
        .iter()
        .enumerate()
        .filter_map(|(i, c)| key(c).map(|v| (v, i)))
        .collect();
    ranked.sort_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then_with(|| cells[a.1].segment.cmp(&cells[b.1].segment))
            .then_with(|| cells[a.1].area_code.cmp(&cells[b.1].area_code))
    });
    for (pos, &(_, i)) in ranked.iter().enumerate() {
        cells[i].rank = Some(u32::try_from(pos + 1).unwrap_or(u32::MAX));
    }
    let mut order: Vec<usize> = ranked.iter().map(|&(_, i)| i).collect();
    if let Some(top) = query.top {
        order.truncate(top);
    } else {
        let mut rest: Vec<usize> = (0..cells.len())
            .filter(|&i| cells[i].rank.is_none())
            .collect();
        rest.sort_by(|&a, &b| {
            (&cells[a].segment, &cells[a].area_code).cmp(&(&cells[b].segment, &cells[b].area_code))
        });
        order.extend(rest);
    }
    let mut slots: Vec<Option<CellScore>> = cells.into_iter().map(Some).collect();
    let cells = order.into_iter().filter_map(|i| slots[i].take()).collect();
    Ok(SegmentScores {
        k,
        definitions: release.definitions().to_string(),
        cells,
        totals,
        unknown_areas,
        method: METHOD.to_string(),
    })
}
