//! Fast swap neighbourhood and iterated local search for uncapacitated maximal covering with a
//! site count (the common case, and the one at scale).
//!
//! **Fast swaps.** With c_i the number of open sites covering demand i, closing open site j
//! loses L_j = Σ_{i∈N^j, c_i=1} w_i and opening closed site k gains G_k = Σ_{i∈N^k, c_i=0} w_i;
//! swapping j for k changes the reach by G_k − L_j + E_jk, where E_jk = Σ w_i over demand points
//! covered only by j and also by k. G, L and E are kept up to date incrementally: opening or
//! closing a site touches only the demand points it covers, and only those whose count crosses
//! 0, 1 or 2 change any entry. The best of all p·(m − p) swaps is then a scan of G − L + E
//! (the fast interchange of Whitaker, *INFOR* 21, 1983, and Resende & Werneck, *J. Heuristics*
//! 10, 2004, applied to coverage).
//!
//! **Iterated local search** (Lourenço, Martin & Stützle, "Iterated local search", 2003): make
//! 1–3 random swaps — an open site for a closed site sharing demand with it — and descend with
//! best-improvement swaps. The walk accepts the result unless it is more than 0.1 % worse than the
//! current plan (then the moves are undone), keeps the best plan seen, and restarts from it after
//! 200 perturbations without a new best. It stops when the best plan reaches the bound (it is then
//! optimal), after 400 perturbations without a new best, or — once the best plan is within a
//! stated relative gap of the bound (default 0.1 %) — after 50 perturbations without a new best
//! (the defaults are the driver's: [`crate::SolveOptions`]). Seeded, so the same input gives the
//! same plan.

use std::time::Instant;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::problem::{Limit, Objective, ValidProblem};

/// Seed of the iterated local search (fixed: plans are reproducible).
const SEED: u64 = 0x6c69_6768_6564; // "lighed"

/// Whether the fast swap applies: uncapacitated coverage, a site count, no council floors or
/// caps (council budgets are checked per swap).
pub(crate) fn applies(p: &ValidProblem) -> bool {
    p.objective == Objective::Coverage
        && !p.has_capacity()
        && !p.has_floor_or_cap()
        && matches!(p.limit, Some(Limit::Open(_)))
}

/// An open set with coverage counts and the incremental swap tables.
#[derive(Debug)]
struct State<'a> {
    p: &'a ValidProblem,
    open: Vec<bool>,
    /// Open sites; `pos[j]` is j's index here (`usize::MAX` when closed).
    slots: Vec<usize>,
    pos: Vec<usize>,
    count: Vec<u32>,
    value: f64,
    council_spend: Vec<f64>,
    /// G_k for closed k (entries of open sites are not used).
    gain: Vec<f64>,
    /// L_j by slot.
    loss: Vec<f64>,
    /// E by slot × site, row-major.
    extra: Vec<f64>,
}

impl<'a> State<'a> {
    fn new(p: &'a ValidProblem, open_sites: &[usize]) -> State<'a> {
        let m = p.n_sites();
        let q = open_sites.len();
        let mut s = State {
            p,
            open: vec![false; m],
            slots: Vec::with_capacity(q),
            pos: vec![usize::MAX; m],
            count: vec![0; p.n_demand()],
            value: 0.0,
            council_spend: vec![0.0; p.councils.len()],
            gain: vec![0.0; m],
            loss: vec![0.0; q],
            extra: vec![0.0; q * m],
        };
        for &j in open_sites {
            s.pos[j] = s.slots.len();
            s.slots.push(j);
            s.open[j] = true;
            if let Some(c) = p.site_council[j] {
                s.council_spend[c] += p.cost[j];
            }
            for &i in &p.covers[j] {
                s.count[i as usize] += 1;
            }
        }
        s.rebuild();
        s
    }

    /// Recomputes value, G, L and E from the counts (removes accumulated rounding).
    fn rebuild(&mut self) {
        let p = self.p;
        let m = p.n_sites();
        self.value = 0.0;
        self.gain.iter_mut().for_each(|x| *x = 0.0);
        self.loss.iter_mut().for_each(|x| *x = 0.0);
        self.extra.iter_mut().for_each(|x| *x = 0.0);
        for (i, cov) in p.covered_by.iter().enumerate() {
            let w = p.weight[i];
            match self.count[i] {
                0 => {
                    for &k in cov {
                        self.gain[k as usize] += w;
                    }
                }
                1 => {
                    self.value += w;
                    let r = self.unique_slot(i);
                    self.loss[r] += w;
                    for &k in cov {
                        let k = k as usize;
                        if !self.open[k] {
                            self.extra[r * m + k] += w;
                        }
                    }
                }
                _ => self.value += w,
            }
        }
    }

    /// Slot of the only open site covering `i` (count 1).
    fn unique_slot(&self, i: usize) -> usize {
        let j = self.p.covered_by[i]
            .iter()
            .copied()
            .find(|&j| self.open[j as usize])
            .expect("count 1 means one open covering site") as usize;
        self.pos[j]
    }

    /// Adds `w` to E[r][l] for every closed l covering `i`, and to G[l] with `g`.
    fn spread(&mut self, i: usize, row: Option<(usize, f64)>, g: f64) {
        let m = self.p.n_sites();
        for &l in &self.p.covered_by[i] {
            let l = l as usize;
            if self.open[l] {
                continue;
            }
            if let Some((r, w)) = row {
                self.extra[r * m + l] += w;
            }
            if g != 0.0 {
                self.gain[l] += g;
            }
        }
    }

    /// Swaps open `out` for closed `inn` (the slot of `out` passes to `inn`).
    fn swap(&mut self, out: usize, inn: usize) {
        let p = self.p;
        let m = p.n_sites();
        let r = self.pos[out];
        // Close `out`.
        for &i in &p.covers[out] {
            let i = i as usize;
            let w = p.weight[i];
            match self.count[i] {
                1 => {
                    // Uniquely covered by `out`: becomes uncovered.
                    self.value -= w;
                    self.loss[r] -= w;
                    self.spread(i, Some((r, -w)), w);
                }
                2 => {
                    // Now uniquely covered by the other open site u.
                    self.count[i] -= 1;
                    self.open[out] = false;
                    let ru = self.unique_slot(i);
                    self.open[out] = true;
                    self.count[i] += 1;
                    self.loss[ru] += w;
                    // `out` is closing too: it gets E[u][out] below with the other closed sites.
                    self.spread(i, Some((ru, w)), 0.0);
                    self.extra[ru * m + out] += w;
                }
                _ => {}
            }
        }
        for &i in &p.covers[out] {
            self.count[i as usize] -= 1;
        }
        self.open[out] = false;
        self.pos[out] = usize::MAX;
        // The slot is empty now; clear rounding residue.
        self.loss[r] = 0.0;
        self.extra[r * m..(r + 1) * m]
            .iter_mut()
            .for_each(|x| *x = 0.0);
        // G[out] is the weight it would cover among uncovered points.
        self.gain[out] = p.covers[out]
            .iter()
            .filter(|&&i| self.count[i as usize] == 0)
            .map(|&i| p.weight[i as usize])
            .sum();
        // Open `inn` in slot r.
        self.open[inn] = true;
        self.pos[inn] = r;
        self.slots[r] = inn;
        for &i in &p.covers[inn] {
            let i = i as usize;
            let w = p.weight[i];
            match self.count[i] {
                0 => {
                    // Newly covered, uniquely by `inn`.
                    self.value += w;
                    self.loss[r] += w;
                    self.spread(i, Some((r, w)), -w);
                }
                1 => {
                    // Was unique to u; now covered twice.
                    let ru = self.unique_slot_excluding(i, inn);
                    self.loss[ru] -= w;
                    self.spread(i, Some((ru, -w)), 0.0);
                    // E[u][inn] had w (inn was closed); it is open now.
                    self.extra[ru * m + inn] -= w;
                }
                _ => {}
            }
            self.count[i] += 1;
        }
        if let Some(c) = p.site_council[out] {
            self.council_spend[c] -= p.cost[out];
        }
        if let Some(c) = p.site_council[inn] {
            self.council_spend[c] += p.cost[inn];
        }
    }

    fn unique_slot_excluding(&self, i: usize, skip: usize) -> usize {
        let j = self.p.covered_by[i]
            .iter()
            .copied()
            .find(|&j| self.open[j as usize] && j as usize != skip)
            .expect("count 1 means one other open covering site") as usize;
        self.pos[j]
    }

    /// Whether swapping `out` for `inn` keeps every council budget.
    fn budget_ok(&self, out: usize, inn: usize) -> bool {
        let p = self.p;
        let Some(c) = p.site_council[inn] else {
            return true;
        };
        let Some(b) = p.council_budget[c] else {
            return true;
        };
        let mut spend = self.council_spend[c] + p.cost[inn];
        if p.site_council[out] == Some(c) {
            spend -= p.cost[out];
        }
        spend <= b * (1.0 + 1e-12)
    }

    /// The best improving swap (out, in, change in reach), if any.
    fn best_swap(&self) -> Option<(usize, usize, f64)> {
        let p = self.p;
        let m = p.n_sites();
        let min_gain = 1e-9 * (1.0 + self.value.abs());
        let mut best: Option<(usize, usize, f64)> = None;
        for (r, &j) in self.slots.iter().enumerate() {
            if p.required[j] {
                continue;
            }
            let row = &self.extra[r * m..(r + 1) * m];
            let base = -self.loss[r];
            for k in 0..m {
                if self.open[k] {
                    continue;
                }
                let delta = base + self.gain[k] + row[k];
                if delta > min_gain && best.is_none_or(|b| delta > b.2) && self.budget_ok(j, k) {
                    best = Some((j, k, delta));
                }
            }
        }
        best
    }

    /// Best-improvement descent; records the swaps made in `log`.
    fn descend(&mut self, log: &mut Vec<(usize, usize)>, deadline: Option<Instant>) {
        while let Some((j, k, _)) = self.best_swap() {
            self.swap(j, k);
            log.push((j, k));
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return;
            }
        }
    }

    fn open_list(&self) -> Vec<usize> {
        let mut v = self.slots.clone();
        v.sort_unstable();
        v
    }
}

/// Whether `open` keeps the council budgets (the limit and required sites are the caller's).
pub(crate) fn feasible_start(p: &ValidProblem, open: &[usize]) -> bool {
    crate::eval::structural_violation(p, open).is_none()
}

/// Settings of the iterated local search.
#[derive(Debug, Clone, Copy)]
pub(crate) struct IlsSettings {
    /// Perturbations.
    pub(crate) iterations: usize,
    /// A walk may accept a plan this much (relative) worse than the current one.
    pub(crate) accept_worse: f64,
    /// Restart from the best plan after this many perturbations without a new best.
    pub(crate) restart_after: usize,
    /// Stop after this many perturbations without a new best.
    pub(crate) stop_after: usize,
    /// Stop after [`IlsSettings::close_stall`] perturbations without a new best once the best
    /// plan is within this relative gap of the bound, `(bound − best) / bound`.
    pub(crate) close_gap: f64,
    /// See [`IlsSettings::close_gap`].
    pub(crate) close_stall: usize,
}

impl IlsSettings {
    /// Descent only (no perturbations).
    pub(crate) const DESCENT: IlsSettings = IlsSettings {
        iterations: 0,
        accept_worse: 0.0,
        restart_after: usize::MAX,
        stop_after: usize::MAX,
        close_gap: 0.0,
        close_stall: usize::MAX,
    };
}

/// Whether `value` is within the relative gap `tol` of `bound` (a maximisation bound).
pub(crate) fn within_gap(value: f64, bound: f64, tol: f64) -> bool {
    bound.is_finite() && bound - value <= tol * bound.abs()
}

/// Sites sharing at least one demand point with each site (sorted, without the site itself).
fn neighbours(p: &ValidProblem) -> Vec<Vec<u32>> {
    let m = p.n_sites();
    let mut mark = vec![usize::MAX; m];
    (0..m)
        .map(|j| {
            let mut v = Vec::new();
            for &i in &p.covers[j] {
                for &k in &p.covered_by[i as usize] {
                    let k = k as usize;
                    if k != j && mark[k] != j {
                        mark[k] = j;
                        v.push(k as u32);
                    }
                }
            }
            v.sort_unstable();
            v
        })
        .collect()
}

/// Improves `start` (a feasible open set) by best-improvement swaps and then iterated local
/// search, stopping at `deadline` or when the reach meets `bound`. Kicks swap a random open
/// site for a random closed site that shares demand with it (else any closed site). Returns the
/// best open set found (sorted) and its reach.
pub(crate) fn improve(
    p: &ValidProblem,
    start: &[usize],
    bound: f64,
    settings: IlsSettings,
    deadline: Option<Instant>,
) -> (Vec<usize>, f64) {
    let mut s = State::new(p, start);
    let mut log = Vec::new();
    s.descend(&mut log, deadline);
    let tol = |v: f64| 1e-9 * (1.0 + v.abs());
    let mut best_value = s.value;
    let mut best_set = s.open_list();
    let mut current = s.value;
    let mut since_best = 0usize;
    let mut stale = 0usize;
    let reached = |v: f64| v >= bound - tol(bound);
    if settings.iterations == 0 {
        return (best_set, best_value);
    }
    let near = neighbours(p);
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    let mut open: Vec<usize> = Vec::with_capacity(s.slots.len());
    let mut candidates: Vec<usize> = Vec::with_capacity(p.n_sites());
    for it in 0..settings.iterations {
        if reached(best_value)
            || stale >= settings.stop_after
            || (stale >= settings.close_stall && within_gap(best_value, bound, settings.close_gap))
            || deadline.is_some_and(|d| Instant::now() >= d)
        {
            break;
        }
        if since_best >= settings.restart_after {
            s = State::new(p, &best_set);
            current = s.value;
            since_best = 0;
        } else if it % 64 == 63 {
            // Rounding residue of non-integer weights.
            s.rebuild();
        }
        log.clear();
        let kicks = rng.random_range(1..=3usize);
        for _ in 0..kicks {
            open.clear();
            open.extend(s.slots.iter().copied().filter(|&j| !p.required[j]));
            if open.is_empty() {
                break;
            }
            let j = open[rng.random_range(0..open.len())];
            candidates.clear();
            candidates.extend(near[j].iter().map(|&k| k as usize).filter(|&k| !s.open[k]));
            if candidates.is_empty() {
                candidates.extend((0..p.n_sites()).filter(|&k| !s.open[k]));
                if candidates.is_empty() {
                    break;
                }
            }
            let k = candidates[rng.random_range(0..candidates.len())];
            if s.budget_ok(j, k) {
                s.swap(j, k);
                log.push((j, k));
            }
        }
        s.descend(&mut log, deadline);
        since_best += 1;
        stale += 1;
        if s.value > best_value + tol(best_value) {
            best_value = s.value;
            best_set = s.open_list();
            current = s.value;
            since_best = 0;
            stale = 0;
        } else if s.value >= current * (1.0 - settings.accept_worse) - tol(current) {
            current = s.value;
        } else {
            // Too much worse: undo in reverse order.
            for &(j, k) in log.iter().rev() {
                s.swap(k, j);
            }
        }
    }
    (best_set, best_value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::{
        CandidateSite, Coverage, DemandPoint, DistanceMatrix, Fairness, PlanRequest,
    };
    use rand::RngExt;

    /// After any sequence of swaps, the incremental tables equal a rebuild from scratch.
    #[test]
    fn incremental_tables_match_a_rebuild() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let n = 60;
        let m = 12;
        let d: Vec<Vec<f64>> = (0..n)
            .map(|_| (0..m).map(|_| rng.random::<f64>() * 10.0).collect())
            .collect();
        let problem = PlanRequest {
            demand: (0..n)
                .map(|i| DemandPoint {
                    id: format!("d{i}"),
                    weight: rng.random_range(1..=9) as f64,
                    population: None,
                    council: None,
                    location: None,
                })
                .collect(),
            sites: (0..m)
                .map(|j| CandidateSite {
                    id: format!("s{j}"),
                    capacity: None,
                    cost: None,
                    required: false,
                    council: None,
                    location: None,
                })
                .collect(),
            coverage: Coverage::Matrix {
                distances: DistanceMatrix::Dense(d),
                radius: Some(4.0),
            },
            limit: Some(Limit::Open(4)),
            objective: Objective::Coverage,
            fairness: Fairness::default(),
            teams: None,
        }
        .validate()
        .unwrap();
        let mut s = State::new(&problem, &[0, 1, 2, 3]);
        for _ in 0..200 {
            let open: Vec<usize> = (0..m).filter(|&j| s.open[j]).collect();
            let closed: Vec<usize> = (0..m).filter(|&j| !s.open[j]).collect();
            let j = open[rng.random_range(0..open.len())];
            let k = closed[rng.random_range(0..closed.len())];
            // The predicted change equals the realised one.
            let r = s.pos[j];
            let predicted = s.gain[k] - s.loss[r] + s.extra[r * m + k];
            let before = s.value;
            s.swap(j, k);
            assert_eq!(s.value - before, predicted);
            let (value, gain, loss, extra, slots) = (
                s.value,
                s.gain.clone(),
                s.loss.clone(),
                s.extra.clone(),
                s.slots.clone(),
            );
            s.rebuild();
            assert_eq!(value, s.value);
            assert_eq!(loss, s.loss);
            assert_eq!(extra, s.extra);
            assert_eq!(slots, s.slots);
            for k in 0..m {
                if !s.open[k] {
                    assert_eq!(gain[k], s.gain[k], "gain of closed site {k}");
                }
            }
        }
    }
}
