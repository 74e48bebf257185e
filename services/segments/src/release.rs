//! Disclosure control of segment counts: the only way from [`SegmentCounts`] to numbers that may
//! be shown.
//!
//! # The released tables
//!
//! For each segment the released numbers are a two-way table: one row per area plus the region
//! row (the sum over every area of the data), and the columns *members* (persons in the
//! segment), *non-members* (the rest of the base population) and *base* (their sum). Rates,
//! ratios and shares are computed later ([`crate::score`](mod@crate::score)) from released cells only.
//! [`ProtectedRelease::new`] applies `lighed_core::disclosure::protect` to each table (k ≥ 5,
//! primary suppression of 1..k−1 persons in every cell and margin, complementary suppression
//! until no suppressed cell can be worked out from the released cells and margins; the proof is
//! in that module's documentation), then links the tables:
//!
//! - **Same population, same status.** Two tables that show the same set of persons (two
//!   segments with the same base, a segment equal to another's base, a non-member column equal
//!   to another segment — decided exactly on the definitions' attribute boxes) show it with the
//!   same status in every row: a cell suppressed in one is suppressed in all.
//! - **Nested populations with a small difference share one status.** When one population lies
//!   inside another (`X ⊂ Y`, e.g. the 65+ base inside the 18+ base) and `0 < X` and
//!   `Y − X < k` in an area, releasing both would show `Y − X` persons, and releasing only `Y`
//!   would bound the hidden `X` between its reason's limit and `Y` (with `Y − X = 0` and a
//!   complementary `X ≥ k = Y`, exactly). So either both are shown (only when `Y = X`) or both
//!   are hidden. (Found by the attacker-LP property test in `tests/properties.rs`.)
//!
//! After each linking step the changed tables are audited again with
//! `lighed_core::disclosure::audit` and, while it reports a cell that can be worked out, the
//! cheapest releasable cell in that cell's row or column is suppressed too; the linking is
//! repeated until nothing changes (suppression only grows, so this ends). Everything is
//! deterministic: the same counts give the same suppressed cells.
//!
//! # Why scopes cannot be played against each other
//!
//! The tables are protected once, over every area of the data, never per request. A request for
//! a scope (a health council's parishes, a municipality and its complement, …) gets a subset of
//! the same released cells, and a scope total is released only when every part of it is
//! released (so it is a sum a reader could form anyway); otherwise it is [`Cell::Withheld`].
//! Hence everything any number of requests reveals is what the protected tables reveal.
//!
//! # Known limits
//!
//! Linear relations among three or more populations of different segments (e.g. 18+ − 65+ −
//! (18–64 in social housing) = 18–64 not in social housing) are not audited; the pairwise rules
//! above cover identical and nested populations. Keep a definitions file to segments whose bases
//! are few and broad. The age-sex standardised expected count of a released ratio is a linear
//! combination of the base's age-sex cells (never released); it is shown only when the base is
//! released.

use std::collections::BTreeMap;

use lighed_core::disclosure::{Auditor, CountTable, MinCellSize, Reason, Violation, protect};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::counts::{CELLS, SegmentCounts};
use crate::definition::{Definitions, SetBox};
use crate::error::SegmentError;

/// A column of a segment table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Column {
    /// Persons in the segment.
    Members,
    /// Persons in the base population but not in the segment.
    NonMembers,
    /// Persons in the base population.
    Base,
}

impl Column {
    /// The three columns in table order.
    pub const ALL: [Column; 3] = [Column::Members, Column::NonMembers, Column::Base];

    fn index(self) -> usize {
        match self {
            Column::Members => 0,
            Column::NonMembers => 1,
            Column::Base => 2,
        }
    }
}

/// A number as released.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status", content = "value")]
pub enum Cell {
    /// Shown: a count of persons (0 or at least k).
    Released(u64),
    /// Hidden by disclosure control, with the reason (primary: 1..k−1 persons; complementary:
    /// hidden so that another cell cannot be worked out).
    Suppressed(Reason),
    /// A total over a scope that contains suppressed cells: not shown.
    Withheld,
}

impl Cell {
    /// The value when released.
    pub fn value(self) -> Option<u64> {
        match self {
            Cell::Released(v) => Some(v),
            _ => None,
        }
    }

    /// A short marker for tables: the value, `..` (suppressed) or `(withheld)`.
    pub fn display(self) -> String {
        match self {
            Cell::Released(v) => v.to_string(),
            Cell::Suppressed(Reason::Primary) => "..(primary)".into(),
            Cell::Suppressed(Reason::Complementary) => "..(complementary)".into(),
            Cell::Withheld => "..(withheld)".into(),
        }
    }
}

/// What a released segment is (from the definitions).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentInfo {
    /// Segment id.
    pub id: String,
    /// Label.
    pub label: String,
    /// Label of the base population.
    pub base_label: String,
}

/// Segment counts after disclosure control: the only source of released numbers.
///
/// It holds released values, suppression reasons and the expected counts of released bases —
/// never a suppressed value — so nothing built from it can show one.
#[derive(Debug, Clone, PartialEq)]
pub struct ProtectedRelease {
    k: MinCellSize,
    definitions: String,
    segments: Vec<SegmentInfo>,
    areas: Vec<String>,
    /// `cells[s][row]` = members, non-members, base; row `areas.len()` is the region.
    cells: Vec<Vec<[Cell; 3]>>,
    /// Expected members at the region's age-sex-specific rates, where the base is released.
    expected: Vec<Vec<Option<f64>>>,
    protected: Vec<bool>,
}

/// One segment table during protection.
struct Table {
    table: CountTable,
    status: Vec<Option<Reason>>,
    rows: usize,
}

impl Table {
    fn idx(row: usize, col: usize) -> usize {
        row * 3 + col
    }

    fn value(&self, i: usize) -> u64 {
        self.table.values()[i]
    }
}

/// Suppresses the cheapest releasable cell in a relation containing each violating cell until
/// the core audit finds nothing; returns false if no releasable cell is left to suppress.
/// (The violations are those of `audit`, found incrementally by the core's [`Auditor`].)
fn repair(t: &mut Table, k: MinCellSize) -> bool {
    let mut auditor = Auditor::new(&t.table, &t.status, k);
    let ok = loop {
        let Some(first) = auditor.first_violation() else {
            break true;
        };
        let status = auditor.status();
        let relations = t.table.relations();
        let candidates: Vec<usize> = match first {
            Violation::SmallSum { relation } => relations[relation].parts.clone(),
            Violation::Determined { cell } => relations
                .iter()
                .filter(|r| r.total == cell || r.parts.contains(&cell))
                .flat_map(|r| std::iter::once(r.total).chain(r.parts.iter().copied()))
                .collect(),
        };
        let values = t.table.values();
        let releasable = |i: &usize| status[*i].is_none() && values[*i] >= k.get();
        let pick = candidates
            .iter()
            .copied()
            .filter(releasable)
            .min_by_key(|&i| (values[i], i))
            .or_else(|| {
                (0..status.len())
                    .filter(releasable)
                    .min_by_key(|&i| (values[i], i))
            });
        match pick {
            Some(i) => auditor.suppress(i, Reason::Complementary),
            None => break false,
        }
    };
    t.status = auditor.into_status();
    ok
}

impl ProtectedRelease {
    /// Protects every segment table of `counts` (see the [module docs](self)).
    ///
    /// Errors when the counts contradict the definitions (a population counted differently in
    /// two tables, or a nested population larger than the one containing it — possible only
    /// with register input, never with microdata).
    pub fn new(
        counts: &SegmentCounts,
        definitions: &Definitions,
        k: MinCellSize,
    ) -> Result<ProtectedRelease, SegmentError> {
        let ids: Vec<&str> = definitions.segments.iter().map(|s| s.id.as_str()).collect();
        if counts.segment_ids() != ids.as_slice() {
            return Err(SegmentError::InvalidArgument {
                argument: "definitions".into(),
                message: format!(
                    "the counts have segments [{}], the definitions [{}]",
                    counts.segment_ids().join(", "),
                    ids.join(", ")
                ),
            });
        }
        let areas = counts.areas().to_vec();
        if areas.is_empty() {
            return Err(SegmentError::NoData("the counts hold no area".into()));
        }
        let nseg = ids.len();
        // One table per segment, protected in parallel (protect is pure: the result does not
        // depend on the order or the threads).
        let built: Vec<Result<(Table, bool), SegmentError>> = (0..nseg)
            .into_par_iter()
            .map(|s| {
                let interior: Vec<Vec<u64>> = (0..areas.len())
                    .map(|a| {
                        let [m, b] = counts.total(a, s);
                        vec![m, b - m]
                    })
                    .collect();
                let table =
                    CountTable::two_way(&interior).map_err(|e| SegmentError::InvalidArgument {
                        argument: "counts".into(),
                        message: e.to_string(),
                    })?;
                let p = protect(&table, k);
                Ok((
                    Table {
                        status: p.status(),
                        table,
                        rows: areas.len() + 1,
                    },
                    p.protected,
                ))
            })
            .collect();
        let mut tables: Vec<Table> = Vec::with_capacity(nseg);
        let mut protected = Vec::with_capacity(nseg);
        for r in built {
            let (t, ok) = r?;
            tables.push(t);
            protected.push(ok);
        }
        // The population of each (segment, column), as an attribute box where it is one.
        let mut sets: Vec<(SetBox, usize, usize)> = Vec::new();
        for (s, d) in definitions.segments.iter().enumerate() {
            sets.push((d.members.clone(), s, 0));
            if let Some(rest) = d.base.minus(&d.members) {
                sets.push((rest, s, 1));
            }
            sets.push((d.base.clone(), s, 2));
        }
        // Groups of identical populations and pairs of nested ones (by group).
        let mut groups: Vec<(SetBox, Vec<(usize, usize)>)> = Vec::new();
        for (b, s, c) in sets {
            match groups.iter_mut().find(|(g, _)| *g == b) {
                Some((_, members)) => members.push((s, c)),
                None => groups.push((b, vec![(s, c)])),
            }
        }
        let mut nested: Vec<(usize, usize)> = Vec::new(); // (inner group, outer group)
        for (i, (x, _)) in groups.iter().enumerate() {
            for (j, (y, _)) in groups.iter().enumerate() {
                if i != j && x.is_subset_of(y) {
                    nested.push((i, j));
                }
            }
        }
        let rows = areas.len() + 1;
        let row_name = |r: usize| {
            areas
                .get(r)
                .cloned()
                .unwrap_or_else(|| "the region (all areas)".into())
        };
        // Consistency of register input with the definitions.
        for (_, members) in &groups {
            for r in 0..rows {
                let (s0, c0) = members[0];
                let v0 = tables[s0].value(Table::idx(r, c0));
                for &(s, c) in &members[1..] {
                    if tables[s].value(Table::idx(r, c)) != v0 {
                        return Err(SegmentError::InvalidArgument {
                            argument: "counts".into(),
                            message: format!(
                                "in {}, segments '{}' and '{}' count the same population differently",
                                row_name(r),
                                ids[s0],
                                ids[s]
                            ),
                        });
                    }
                }
            }
        }
        for &(i, j) in &nested {
            let (si, ci) = groups[i].1[0];
            let (sj, cj) = groups[j].1[0];
            for r in 0..rows {
                if tables[si].value(Table::idx(r, ci)) > tables[sj].value(Table::idx(r, cj)) {
                    return Err(SegmentError::InvalidArgument {
                        argument: "counts".into(),
                        message: format!(
                            "in {}, a population of segment '{}' is larger than a population of '{}' that contains it",
                            row_name(r),
                            ids[si],
                            ids[sj]
                        ),
                    });
                }
            }
        }

        let kk = k.get();
        loop {
            let mut changed = vec![false; nseg];
            for (_, members) in &groups {
                for r in 0..rows {
                    let any_suppressed = members
                        .iter()
                        .any(|&(s, c)| tables[s].status[Table::idx(r, c)].is_some());
                    if any_suppressed {
                        for &(s, c) in members {
                            let i = Table::idx(r, c);
                            if tables[s].status[i].is_none() {
                                tables[s].status[i] = Some(Reason::Complementary);
                                changed[s] = true;
                            }
                        }
                    }
                }
            }
            for &(i, j) in &nested {
                for r in 0..rows {
                    let released = |g: usize| {
                        groups[g]
                            .1
                            .iter()
                            .all(|&(s, c)| tables[s].status[Table::idx(r, c)].is_none())
                    };
                    let (si, ci) = groups[i].1[0];
                    let (sj, cj) = groups[j].1[0];
                    let x = tables[si].value(Table::idx(r, ci));
                    let y = tables[sj].value(Table::idx(r, cj));
                    if x == 0 || y - x >= kk {
                        continue;
                    }
                    // y − x < k: released together it would show y − x persons (if > 0); with
                    // only one of them suppressed, x ≤ y and the reason's bounds could pin it.
                    // So the two are treated as one population: both shown or both hidden.
                    let (ri, rj) = (released(i), released(j));
                    let hide: Vec<(usize, usize)> = if ri && rj {
                        if y == x {
                            continue;
                        }
                        groups[i].1.clone()
                    } else if ri || rj {
                        groups[i].1.iter().chain(&groups[j].1).copied().collect()
                    } else {
                        continue;
                    };
                    for (s, c) in hide {
                        let idx = Table::idx(r, c);
                        if tables[s].status[idx].is_none() {
                            tables[s].status[idx] = Some(Reason::Complementary);
                            changed[s] = true;
                        }
                    }
                }
            }
            if !changed.iter().any(|&c| c) {
                break;
            }
            for s in 0..nseg {
                if changed[s] && !repair(&mut tables[s], k) {
                    protected[s] = false;
                }
            }
        }

        // Expected members at the region's age-sex-specific rates.
        let mut region_cells = vec![[0u64; 2]; nseg * CELLS];
        for a in 0..areas.len() {
            for s in 0..nseg {
                for c in 0..CELLS {
                    let [m, b] = counts.cell(a, s, c);
                    region_cells[s * CELLS + c][0] += m;
                    region_cells[s * CELLS + c][1] += b;
                }
            }
        }
        let mut cells = Vec::with_capacity(nseg);
        let mut expected = Vec::with_capacity(nseg);
        for (s, t) in tables.iter().enumerate() {
            let mut seg_cells = Vec::with_capacity(rows);
            let mut seg_expected = Vec::with_capacity(rows);
            for r in 0..t.rows {
                let cell = |c: usize| {
                    let i = Table::idx(r, c);
                    match t.status[i] {
                        None => Cell::Released(t.value(i)),
                        Some(reason) => Cell::Suppressed(reason),
                    }
                };
                let row = [cell(0), cell(1), cell(2)];
                let e = row[2].value().map(|_| {
                    if r == areas.len() {
                        t.value(Table::idx(r, 0)) as f64
                    } else {
                        (0..CELLS)
                            .map(|c| {
                                let [rm, rb] = region_cells[s * CELLS + c];
                                if rb == 0 {
                                    0.0
                                } else {
                                    counts.cell(r, s, c)[1] as f64 * rm as f64 / rb as f64
                                }
                            })
                            .sum()
                    }
                });
                seg_cells.push(row);
                seg_expected.push(e);
            }
            cells.push(seg_cells);
            expected.push(seg_expected);
        }
        // A table that could not be protected releases nothing but zeros.
        for (s, ok) in protected.iter().enumerate() {
            if !ok {
                for row in &mut cells[s] {
                    for c in row.iter_mut() {
                        if matches!(c, Cell::Released(v) if *v > 0) {
                            *c = Cell::Suppressed(Reason::Complementary);
                        }
                    }
                }
                for e in &mut expected[s] {
                    *e = None;
                }
            }
        }
        Ok(ProtectedRelease {
            k,
            definitions: format!("{} {}", definitions.name, definitions.version),
            segments: definitions
                .segments
                .iter()
                .map(|d| SegmentInfo {
                    id: d.id.clone(),
                    label: d.label.clone(),
                    base_label: d.base_label.clone(),
                })
                .collect(),
            areas,
            cells,
            expected,
            protected,
        })
    }

    /// The threshold applied.
    pub fn k(&self) -> MinCellSize {
        self.k
    }

    /// `name version` of the definitions.
    pub fn definitions(&self) -> &str {
        &self.definitions
    }

    /// The segments, in definitions order.
    pub fn segments(&self) -> &[SegmentInfo] {
        &self.segments
    }

    /// The areas (rows), sorted; the region row is `areas().len()`.
    pub fn areas(&self) -> &[String] {
        &self.areas
    }

    /// A released cell: `row` is an area index, or `areas().len()` for the region.
    pub fn cell(&self, segment: usize, row: usize, column: Column) -> Cell {
        self.cells[segment][row][column.index()]
    }

    /// Expected members at the region's age-sex-specific rates (indirect standardisation),
    /// `None` unless the row's base is released.
    pub fn expected(&self, segment: usize, row: usize) -> Option<f64> {
        self.expected[segment][row]
    }

    /// Whether a segment's table met every guarantee; when false it releases only zeros.
    pub fn is_protected(&self, segment: usize) -> bool {
        self.protected[segment]
    }

    /// Number of suppressed cells per segment (margins included).
    pub fn suppressed_counts(&self) -> BTreeMap<String, usize> {
        self.segments
            .iter()
            .zip(&self.cells)
            .map(|(s, rows)| {
                (
                    s.id.clone(),
                    rows.iter()
                        .flatten()
                        .filter(|c| matches!(c, Cell::Suppressed(_)))
                        .count(),
                )
            })
            .collect()
    }
}

/// The status of a released cell in the form of `lighed_core::disclosure` (`None` = released).
pub fn status_of(cell: Cell) -> Option<Reason> {
    match cell {
        Cell::Suppressed(r) => Some(r),
        _ => None,
    }
}
