//! Audits: is any suppressed cell determined, does any relation leak a small sum?

use std::collections::VecDeque;

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

/// Exact audit of a two-way table by residual-graph reachability (see the module docs).
pub(crate) fn determined_two_way(
    table: &CountTable,
    status: &[Option<Reason>],
    k: MinCellSize,
) -> Vec<Violation> {
    let Shape::TwoWay { rows, cols } = table.shape() else {
        return Vec::new();
    };
    let w = cols + 1;
    let nodes = rows + 1 + cols + 1;
    // arcs[node] = (to, cell)
    let mut arcs: Vec<Vec<(usize, usize)>> = vec![Vec::new(); nodes];
    let mut info = Vec::new(); // (cell, u, v, can_inc, can_dec)
    for (cell, st) in status.iter().enumerate() {
        let Some(reason) = st else { continue };
        let (r, c) = (cell / w, cell % w);
        let (u, v) = (r, rows + 1 + c);
        let x = table.values()[cell] as f64;
        let (lo, hi) = bounds(*reason, k);
        let plus = (r < rows) == (c < cols);
        let (grow_x, shrink_x) = (x < hi, x > lo);
        let (can_inc, can_dec) = if plus {
            (grow_x, shrink_x)
        } else {
            (shrink_x, grow_x)
        };
        if can_inc {
            arcs[u].push((v, cell));
        }
        if can_dec {
            arcs[v].push((u, cell));
        }
        info.push((cell, u, v, can_inc, can_dec));
    }
    let reaches = |from: usize, to: usize, skip: usize| {
        let mut seen = vec![false; nodes];
        let mut queue = VecDeque::from([from]);
        seen[from] = true;
        while let Some(n) = queue.pop_front() {
            if n == to {
                return true;
            }
            for &(m, cell) in &arcs[n] {
                if cell != skip && !seen[m] {
                    seen[m] = true;
                    queue.push_back(m);
                }
            }
        }
        false
    };
    info.into_iter()
        .filter(|&(cell, u, v, inc, dec)| {
            !((inc && reaches(v, u, cell)) || (dec && reaches(u, v, cell)))
        })
        .map(|(cell, ..)| Violation::Determined { cell })
        .collect()
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
