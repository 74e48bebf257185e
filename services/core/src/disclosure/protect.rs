//! Primary and complementary suppression.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use serde::{Deserialize, Serialize};

use super::audit::{Auditor, Violation, audit_lp, determined_two_way, small_sums};
use super::table::{CountTable, MinCellSize, Reason, Shape};

/// Whether a cell is released or suppressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status", content = "reason")]
pub enum CellStatus {
    /// Published as is.
    Released,
    /// Hidden, with the reason.
    Suppressed(Reason),
}

/// One cell of a protected table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ProtectedCell {
    /// The count, `None` when suppressed.
    pub value: Option<u64>,
    /// Released or suppressed (with reason).
    pub status: CellStatus,
}

/// The result of [`protect`]: every cell of the input, in the same order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProtectedTable {
    /// The cells, by the input's cell index.
    pub cells: Vec<ProtectedCell>,
    /// True when the guarantee of the module documentation holds; false when even suppressing
    /// every non-zero cell cannot meet it (do not publish the table then).
    pub protected: bool,
    /// The threshold applied.
    pub k: MinCellSize,
}

impl ProtectedTable {
    /// Reasons by cell (`None` = released), the form the audits take.
    pub fn status(&self) -> Vec<Option<Reason>> {
        self.cells
            .iter()
            .map(|c| match c.status {
                CellStatus::Released => None,
                CellStatus::Suppressed(r) => Some(r),
            })
            .collect()
    }

    /// Number of suppressed cells.
    pub fn suppressed(&self) -> usize {
        self.cells.iter().filter(|c| c.value.is_none()).count()
    }
}

/// Audits a suppression pattern (`status[i]` = the reason of a suppressed cell): exactly, by
/// residual-graph reachability, for two-way tables; by [`audit_lp`] for other shapes. Empty
/// means the guarantee of the module documentation holds. Suppressed cells must be non-zero.
pub fn audit(table: &CountTable, status: &[Option<Reason>], k: MinCellSize) -> Vec<Violation> {
    match table.shape() {
        Shape::TwoWay { .. } => {
            let mut v = determined_two_way(table, status, k);
            v.extend(small_sums(table, status, k));
            v.sort();
            v
        }
        Shape::General => audit_lp(table, status, k),
    }
}

/// Applies primary suppression (every cell of 1..k−1 persons, margins included) and then
/// complementary suppression until no suppressed cell can be worked out (see the module
/// documentation for the guarantee and its proof). Deterministic.
pub fn protect(table: &CountTable, k: MinCellSize) -> ProtectedTable {
    protect_with(table, k, true)
}

/// [`protect`], finding each round's violation incrementally or (`incremental = false`, the
/// reference for the tests) by a full [`audit`] of the current pattern.
fn protect_with(table: &CountTable, k: MinCellSize, incremental: bool) -> ProtectedTable {
    let values = table.values();
    let kk = k.get();
    let initial: Vec<Option<Reason>> = values
        .iter()
        .map(|&v| (v > 0 && v < kk).then_some(Reason::Primary))
        .collect();
    // Each round fixes the first violation of the full audit; the auditor finds it without
    // searching again for cells already shown safe (exact, see `Auditor`).
    let mut auditor = Auditor::new(table, &initial, k);
    let releasable = |status: &[Option<Reason>], i: usize| status[i].is_none() && values[i] >= kk;
    let mut protected = true;
    while let Some(first) = if incremental {
        auditor.first_violation()
    } else {
        audit(table, auditor.status(), k).first().copied()
    } {
        let status = auditor.status();
        let added = match first {
            Violation::SmallSum { relation } => {
                let rel = &table.relations()[relation];
                cheapest(
                    values,
                    rel.parts.iter().copied().filter(|&p| releasable(status, p)),
                )
                .or_else(|| releasable(status, rel.total).then_some(rel.total))
                .map(|c| vec![c])
                .unwrap_or_default()
            }
            Violation::Determined { cell } => {
                let mut add = match table.shape() {
                    Shape::TwoWay { rows, cols } => {
                        cycle_through(values, status, kk, rows, cols, cell)
                    }
                    Shape::General => Vec::new(),
                };
                if add.is_empty() {
                    // Fallback: the cheapest releasable cell in a relation containing `cell`.
                    add = cheapest(
                        values,
                        table
                            .relations()
                            .iter()
                            .filter(|r| r.total == cell || r.parts.contains(&cell))
                            .flat_map(|r| std::iter::once(r.total).chain(r.parts.iter().copied()))
                            .filter(|&c| releasable(status, c)),
                    )
                    .into_iter()
                    .collect();
                }
                if add.is_empty() {
                    // Last resort: the cheapest releasable cell anywhere.
                    add = cheapest(values, (0..values.len()).filter(|&c| releasable(status, c)))
                        .into_iter()
                        .collect();
                }
                add
            }
        };
        if added.is_empty() {
            protected = false;
            break;
        }
        for c in added {
            auditor.suppress(c, Reason::Complementary);
        }
    }
    let status = auditor.into_status();
    ProtectedTable {
        cells: values
            .iter()
            .zip(&status)
            .map(|(&v, s)| match s {
                None => ProtectedCell {
                    value: Some(v),
                    status: CellStatus::Released,
                },
                Some(r) => ProtectedCell {
                    value: None,
                    status: CellStatus::Suppressed(*r),
                },
            })
            .collect(),
        protected,
        k,
    }
}

/// The cell with the smallest count (ties: smallest index).
fn cheapest(values: &[u64], cells: impl Iterator<Item = usize>) -> Option<usize> {
    cells.min_by_key(|&c| (values[c], c))
}

/// Releasable cells on the cheapest path from the row of `cell` to its column that avoids
/// `cell`: suppressed cells cost 0, releasable cells (count ≥ k) cost their count, zero cells
/// cannot be used. Empty when no path exists or the path needs no new cell.
fn cycle_through(
    values: &[u64],
    status: &[Option<Reason>],
    k: u64,
    rows: usize,
    cols: usize,
    cell: usize,
) -> Vec<usize> {
    let w = cols + 1;
    let nodes = rows + 1 + cols + 1;
    let (r0, c0) = (cell / w, cell % w);
    let (src, dst) = (r0, rows + 1 + c0);
    let usable = |i: usize| i != cell && (status[i].is_some() || values[i] >= k);
    let cost = |i: usize| {
        if status[i].is_some() {
            0u128
        } else {
            values[i] as u128
        }
    };
    // neighbours of a node: (other node, cell)
    let neighbours = |n: usize| -> Vec<(usize, usize)> {
        if n <= rows {
            (0..=cols).map(|c| (rows + 1 + c, n * w + c)).collect()
        } else {
            let c = n - rows - 1;
            (0..=rows).map(|r| (r, r * w + c)).collect()
        }
    };
    let mut dist = vec![u128::MAX; nodes];
    let mut via: Vec<Option<(usize, usize)>> = vec![None; nodes]; // (previous node, cell)
    let mut heap = BinaryHeap::from([Reverse((0u128, src))]);
    dist[src] = 0;
    while let Some(Reverse((d, n))) = heap.pop() {
        if d > dist[n] {
            continue;
        }
        if n == dst {
            break;
        }
        for (m, i) in neighbours(n) {
            if !usable(i) {
                continue;
            }
            let nd = d + cost(i);
            if nd < dist[m] {
                dist[m] = nd;
                via[m] = Some((n, i));
                heap.push(Reverse((nd, m)));
            }
        }
    }
    let mut out = Vec::new();
    let mut n = dst;
    while let Some((p, i)) = via[n] {
        if status[i].is_none() {
            out.push(i);
        }
        n = p;
        if n == src {
            break;
        }
    }
    if n != src {
        return Vec::new();
    }
    out.sort_unstable();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threshold_below_five_is_unrepresentable() {
        assert!(MinCellSize::new(4).is_err());
        assert!(MinCellSize::new(0).is_err());
        assert_eq!(MinCellSize::new(7).unwrap().get(), 7);
    }

    #[test]
    fn a_single_small_cell_gets_a_cycle_of_complements() {
        let t =
            CountTable::two_way(&[vec![20, 30, 3], vec![40, 25, 60], vec![50, 70, 80]]).unwrap();
        let p = protect(&t, MinCellSize::DEFAULT);
        assert!(p.protected);
        assert_eq!(
            p.cells[2].status,
            CellStatus::Suppressed(Reason::Primary),
            "the 3 is primary"
        );
        assert!(p.suppressed() >= 4, "a cycle needs at least 4 cells");
        assert!(
            p.cells
                .iter()
                .all(|c| c.value.is_none_or(|v| v == 0 || v >= 5))
        );
        assert!(audit_lp(&t, &p.status(), MinCellSize::DEFAULT).is_empty());
    }

    mod incremental {
        use proptest::prelude::*;

        use super::super::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(64))]

            /// The incremental audit changes nothing but the time: the same cells are suppressed as
            /// with a full audit in every round.
            #[test]
            fn incremental_protection_equals_full_audit_protection(
                interior in (1usize..=12, 1usize..=4).prop_flat_map(|(r, c)| {
                    proptest::collection::vec(
                        proptest::collection::vec(
                            prop_oneof![3 => 0u64..=9, 2 => 10u64..=40, 1 => 41u64..=400],
                            c,
                        ),
                        r,
                    )
                }),
                k in 5u64..=7,
            ) {
                let t = CountTable::two_way(&interior).unwrap();
                let k = MinCellSize::new(k).unwrap();
                prop_assert_eq!(protect_with(&t, k, true), protect_with(&t, k, false));
            }
        }
    }

    #[test]
    fn zero_cells_are_released_and_tables_without_small_cells_untouched() {
        let t = CountTable::two_way(&[vec![0, 30], vec![40, 25]]).unwrap();
        let p = protect(&t, MinCellSize::DEFAULT);
        assert!(p.protected);
        assert_eq!(p.suppressed(), 0);
        assert_eq!(p.cells[0].value, Some(0));
    }

    #[test]
    fn a_table_of_four_persons_cannot_be_protected() {
        // 2×2 of ones: every cell and margin is primary and the reasons alone fix all values.
        let t = CountTable::two_way(&[vec![1, 1], vec![1, 1]]).unwrap();
        let p = protect(&t, MinCellSize::DEFAULT);
        assert!(!p.protected);
        assert!(p.cells.iter().all(|c| c.value.is_none()));
    }
}
