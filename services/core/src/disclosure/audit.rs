//! Audits: is any suppressed cell determined, does any relation leak a small sum?

use std::collections::BTreeSet;

use good_lp::{
    Expression, ProblemVariables, ResolutionError, Solution, SolverModel, Variable, constraint,
    microlp, variable,
};
use serde::{Deserialize, Serialize};

use super::table::{CountTable, MinCellSize, Reason, Shape};

/// A failure of the guarantee of [`super::protect`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Violation {
    /// The suppressed cell's value follows from the released cells, the relations and the
    /// reasons.
    Determined {
        /// Cell index.
        cell: usize,
    },
    /// A relation with a released total has suppressed parts summing to 1..k−1.
    SmallSum {
        /// Relation index.
        relation: usize,
    },
}

/// The attacker's bounds of a suppressed cell: primary `[1, k−1]`, complementary `[k, ∞)`.
pub(crate) fn bounds(reason: Reason, k: MinCellSize) -> (f64, f64) {
    match reason {
        Reason::Primary => (1.0, (k.get() - 1) as f64),
        Reason::Complementary => (k.get() as f64, f64::INFINITY),
    }
}

/// Relations whose total is released and whose suppressed parts sum to 1..k−1.
pub(crate) fn small_sums(
    table: &CountTable,
    status: &[Option<Reason>],
    k: MinCellSize,
) -> Vec<Violation> {
    table
        .relations()
        .iter()
        .enumerate()
        .filter(|(_, rel)| status[rel.total].is_none())
        .filter(|(_, rel)| {
            let s: u128 = rel
                .parts
                .iter()
                .filter(|&&p| status[p].is_some())
                .map(|&p| table.values()[p] as u128)
                .sum();
            s > 0 && s < k.get() as u128
        })
        .map(|(i, _)| Violation::SmallSum { relation: i })
        .collect()
}

/// Residual graph of a two-way table's suppressed cells (see the module docs): nodes are the
/// rows `0..=rows` and the columns `rows+1..=rows+cols+1`; a suppressed cell `(r, c)` is an arc
/// row → column when its signed value can grow within its box and column → row when it can
/// shrink. Arcs are only ever added (suppression only grows).
#[derive(Debug, Clone)]
struct Residual {
    rows: usize,
    w: usize,
    /// `arcs[node]` = (to, cell).
    arcs: Vec<Vec<(u32, u32)>>,
    /// Scratch of the searches: a node is seen when `seen[node] == stamp`.
    seen: Vec<u32>,
    stamp: u32,
    stack: Vec<u32>,
}

/// A suppressed cell's arcs: `(u, v, can_inc, can_dec)` (u = its row node, v = its column node).
fn cell_arcs(
    table: &CountTable,
    rows: usize,
    w: usize,
    cell: usize,
    reason: Reason,
    k: MinCellSize,
) -> (usize, usize, bool, bool) {
    let (r, c) = (cell / w, cell % w);
    let cols = w - 1;
    let (u, v) = (r, rows + 1 + c);
    let x = table.values()[cell] as f64;
    let (lo, hi) = bounds(reason, k);
    let plus = (r < rows) == (c < cols);
    let (grow_x, shrink_x) = (x < hi, x > lo);
    let (can_inc, can_dec) = if plus {
        (grow_x, shrink_x)
    } else {
        (shrink_x, grow_x)
    };
    (u, v, can_inc, can_dec)
}

impl Residual {
    fn new(rows: usize, cols: usize) -> Residual {
        let nodes = rows + 1 + cols + 1;
        Residual {
            rows,
            w: cols + 1,
            arcs: vec![Vec::new(); nodes],
            seen: vec![0; nodes],
            stamp: 0,
            stack: Vec::new(),
        }
    }

    fn add(&mut self, table: &CountTable, cell: usize, reason: Reason, k: MinCellSize) {
        let (u, v, inc, dec) = cell_arcs(table, self.rows, self.w, cell, reason, k);
        if inc {
            self.arcs[u].push((v as u32, cell as u32));
        }
        if dec {
            self.arcs[v].push((u as u32, cell as u32));
        }
    }

    /// Whether `to` can be reached from `from` without the arcs of cell `skip`.
    fn reaches(&mut self, from: usize, to: usize, skip: usize) -> bool {
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 {
            self.seen.fill(0);
            self.stamp = 1;
        }
        let stamp = self.stamp;
        self.stack.clear();
        self.stack.push(from as u32);
        self.seen[from] = stamp;
        while let Some(n) = self.stack.pop() {
            if n as usize == to {
                return true;
            }
            for &(m, cell) in &self.arcs[n as usize] {
                if cell as usize != skip && self.seen[m as usize] != stamp {
                    self.seen[m as usize] = stamp;
                    self.stack.push(m);
                }
            }
        }
        false
    }

    /// Whether suppressed cell `cell` can take a second value (a residual arc of it lies on a
    /// cycle that does not use its reverse arc).
    fn movable(&mut self, table: &CountTable, cell: usize, reason: Reason, k: MinCellSize) -> bool {
        let (u, v, inc, dec) = cell_arcs(table, self.rows, self.w, cell, reason, k);
        (inc && self.reaches(v, u, cell)) || (dec && self.reaches(u, v, cell))
    }
}

/// Exact audit of a two-way table by residual-graph reachability (see the module docs).
pub(crate) fn determined_two_way(
    table: &CountTable,
    status: &[Option<Reason>],
    k: MinCellSize,
) -> Vec<Violation> {
    let Shape::TwoWay { rows, cols } = table.shape() else {
        return Vec::new();
    };
    let mut g = Residual::new(rows, cols);
    for (cell, st) in status.iter().enumerate() {
        if let Some(reason) = st {
            g.add(table, cell, *reason, k);
        }
    }
    status
        .iter()
        .enumerate()
        .filter_map(|(cell, st)| st.map(|r| (cell, r)))
        .filter(|&(cell, reason)| !g.movable(table, cell, reason, k))
        .map(|(cell, _)| Violation::Determined { cell })
        .collect()
}

/// An audit that follows a growing suppression pattern: [`Auditor::first_violation`] is always
/// the first element of [`super::audit`] on the current pattern, but for two-way tables it does
/// not search again for cells already shown to be safe.
///
/// Why that is exact: adding a suppressed cell only adds arcs to the residual graph (the arcs
/// of a cell depend on its own value, reason and position only), so a reachability that held
/// still holds — equivalently, the attacker's set of consistent tables only grows. A cell once
/// found movable stays movable; only cells not yet found movable (and newly suppressed ones)
/// are searched, smallest index first, which gives the same first violation as a full audit.
/// Small sums are recomputed from scratch (a linear pass) when no cell is determined. Tables
/// of other shapes are audited in full by [`audit_lp`] on every call.
#[derive(Debug, Clone)]
pub struct Auditor<'t> {
    table: &'t CountTable,
    k: MinCellSize,
    status: Vec<Option<Reason>>,
    graph: Option<ResidualState>,
}

/// The two-way part of an [`Auditor`].
#[derive(Debug, Clone)]
struct ResidualState {
    graph: Residual,
    /// Suppressed cells not (yet) shown movable.
    pending: BTreeSet<usize>,
}

impl<'t> Auditor<'t> {
    /// Starts from a suppression pattern (`status[i]` = the reason of a suppressed cell).
    /// Suppressed cells must be non-zero.
    pub fn new(table: &'t CountTable, status: &[Option<Reason>], k: MinCellSize) -> Auditor<'t> {
        assert_eq!(status.len(), table.len(), "one status per cell");
        let graph = match table.shape() {
            Shape::TwoWay { rows, cols } => {
                let mut g = Residual::new(rows, cols);
                let mut pending = BTreeSet::new();
                for (cell, st) in status.iter().enumerate() {
                    if let Some(reason) = st {
                        g.add(table, cell, *reason, k);
                        pending.insert(cell);
                    }
                }
                Some(ResidualState { graph: g, pending })
            }
            Shape::General => None,
        };
        Auditor {
            table,
            k,
            status: status.to_vec(),
            graph,
        }
    }

    /// The current pattern.
    pub fn status(&self) -> &[Option<Reason>] {
        &self.status
    }

    /// The pattern, consuming the auditor.
    pub fn into_status(self) -> Vec<Option<Reason>> {
        self.status
    }

    /// Suppresses one more cell (no effect when it is already suppressed).
    pub fn suppress(&mut self, cell: usize, reason: Reason) {
        if self.status[cell].is_some() {
            return;
        }
        self.status[cell] = Some(reason);
        if let Some(g) = &mut self.graph {
            g.graph.add(self.table, cell, reason, self.k);
            g.pending.insert(cell);
        }
    }

    /// The first violation of the current pattern in [`Violation`]'s order (what
    /// `audit(..).first()` returns), or `None` when the guarantee holds.
    pub fn first_violation(&mut self) -> Option<Violation> {
        let Some(g) = &mut self.graph else {
            return audit_lp(self.table, &self.status, self.k).first().copied();
        };
        while let Some(&cell) = g.pending.first() {
            let reason = self.status[cell].unwrap_or(Reason::Complementary);
            if g.graph.movable(self.table, cell, reason, self.k) {
                g.pending.remove(&cell);
            } else {
                return Some(Violation::Determined { cell });
            }
        }
        small_sums(self.table, &self.status, self.k)
            .first()
            .copied()
    }
}

/// The attacker's interval `[min, max]` of every suppressed cell by linear programming, given
/// the released cells, the relations and the reason bounds; `max` is `+∞` when unbounded.
///
/// `status[i]` is `Some(reason)` for a suppressed cell. Works for any table shape. Returns one
/// `(cell, min, max)` per suppressed cell, in cell order.
pub fn lp_intervals(
    table: &CountTable,
    status: &[Option<Reason>],
    k: MinCellSize,
) -> Vec<(usize, f64, f64)> {
    let suppressed: Vec<usize> = (0..status.len()).filter(|&i| status[i].is_some()).collect();
    let solve = |target: usize, maximise: bool| -> Option<f64> {
        let mut vars = ProblemVariables::new();
        let mut var_of: Vec<Option<Variable>> = vec![None; table.len()];
        for &i in &suppressed {
            let (lo, hi) = bounds(status[i].unwrap_or(Reason::Complementary), k);
            let def = if hi.is_finite() {
                variable().min(lo).max(hi)
            } else {
                variable().min(lo)
            };
            var_of[i] = Some(vars.add(def));
        }
        let objective: Expression =
            var_of[target].map_or_else(|| Expression::from(0.0), Expression::from);
        let mut model = if maximise {
            vars.maximise(objective.clone()).using(microlp)
        } else {
            vars.minimise(objective.clone()).using(microlp)
        };
        for rel in table.relations() {
            // total − Σ parts = 0, with released cells as constants.
            let mut expr = Expression::from(0.0);
            let mut constant = 0.0;
            let mut any = false;
            for (cell, coeff) in
                std::iter::once((rel.total, 1.0)).chain(rel.parts.iter().map(|&p| (p, -1.0)))
            {
                match var_of[cell] {
                    Some(v) => {
                        expr += coeff * v;
                        any = true;
                    }
                    None => constant += coeff * table.values()[cell] as f64,
                }
            }
            if any {
                model = model.with(constraint::eq(expr, -constant));
            }
        }
        match model.solve() {
            Ok(sol) => Some(sol.eval(&objective)),
            Err(ResolutionError::Unbounded) => Some(if maximise {
                f64::INFINITY
            } else {
                f64::NEG_INFINITY
            }),
            Err(_) => None,
        }
    };
    suppressed
        .iter()
        .map(|&i| {
            let v = table.values()[i] as f64;
            // A failed solve is reported as the degenerate interval (conservative).
            let lo = solve(i, false).unwrap_or(v);
            let hi = solve(i, true).unwrap_or(v);
            (i, lo, hi)
        })
        .collect()
}

/// Audits a suppression pattern of any table with linear programming: a suppressed cell is
/// [`Violation::Determined`] when its LP interval has width below 1e-6; relations are checked
/// for [`Violation::SmallSum`]. An empty result means the guarantee of [`super::protect`] holds
/// (over the reals for general tables; for two-way tables the intervals have integral ends).
pub fn audit_lp(table: &CountTable, status: &[Option<Reason>], k: MinCellSize) -> Vec<Violation> {
    let mut out: Vec<Violation> = lp_intervals(table, status, k)
        .into_iter()
        // NaN widths (failed solves) count as determined.
        .filter(|&(_, lo, hi)| {
            let wide = hi - lo >= 1e-6;
            !wide
        })
        .map(|(cell, ..)| Violation::Determined { cell })
        .collect();
    out.extend(small_sums(table, status, k));
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::super::protect::audit;
    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]

        /// Through any growing pattern the incremental auditor reports what a fresh full audit
        /// reports first (including "nothing").
        #[test]
        fn auditor_agrees_with_a_fresh_audit_at_every_step(
            interior in (1usize..=5, 2usize..=5).prop_flat_map(|(r, c)| {
                proptest::collection::vec(
                    proptest::collection::vec(prop_oneof![3 => 0u64..=9, 1 => 10u64..=60], c),
                    r,
                )
            }),
            k in 5u64..=7,
            order in proptest::collection::vec(any::<proptest::sample::Index>(), 0..12),
        ) {
            let k = MinCellSize::new(k).unwrap();
            let t = CountTable::two_way(&interior).unwrap();
            let mut status: Vec<Option<Reason>> = t
                .values()
                .iter()
                .map(|&v| (v > 0 && v < k.get()).then_some(Reason::Primary))
                .collect();
            let mut auditor = Auditor::new(&t, &status, k);
            let candidates: Vec<usize> = (0..t.len()).filter(|&i| t.values()[i] >= k.get()).collect();
            for step in std::iter::once(None).chain(order.iter().map(Some)) {
                if let Some(ix) = step {
                    if candidates.is_empty() {
                        break;
                    }
                    let c = candidates[ix.index(candidates.len())];
                    auditor.suppress(c, Reason::Complementary);
                    status[c] = Some(Reason::Complementary);
                }
                prop_assert_eq!(auditor.status(), status.as_slice());
                let fresh = audit(&t, &status, k).first().copied();
                prop_assert_eq!(auditor.first_violation(), fresh);
                // Asking twice changes nothing.
                prop_assert_eq!(auditor.first_violation(), fresh);
            }
        }
    }

    #[test]
    fn a_lone_primary_cell_is_determined_until_a_cycle_hides_it() {
        let t = CountTable::two_way(&[vec![3, 20], vec![30, 40]]).unwrap();
        let k = MinCellSize::DEFAULT;
        let mut status = vec![None; t.len()];
        status[0] = Some(Reason::Primary);
        let mut a = Auditor::new(&t, &status, k);
        assert_eq!(a.first_violation(), Some(Violation::Determined { cell: 0 }));
        // The 2×2 cycle (0,0) (0,1) (1,1) (1,0).
        for c in [1, 3, 4] {
            a.suppress(c, Reason::Complementary);
        }
        assert_eq!(a.first_violation(), None);
        assert!(audit(&t, a.status(), k).is_empty());
    }
}
