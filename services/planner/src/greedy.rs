//! Heuristics: lazy greedy and local-search swaps.
//!
//! **Greedy.** Starting from the required sites, repeatedly open the site with the largest gain
//! in the objective. Reach (weighted coverage, with or without capacities) and the p-median
//! distance saving are monotone submodular set functions, so with a cardinality limit greedy
//! reaches at least 1 − (1 − 1/p)^p ≥ 1 − 1/e ≈ 0.632 of the optimum (Nemhauser, Wolsey &
//! Fisher, *Math. Programming* 14, 1978; the bound also holds relative to the best completion of
//! the required sites). Submodularity also makes *lazy* evaluation exact: a gain computed earlier
//! is an upper bound on the current gain, so a site whose refreshed gain still tops the queue is
//! the true maximiser (Minoux 1978, "Accelerated greedy algorithms"). With a budget instead of a
//! count, both plain greedy and cost-ratio greedy are run and the better kept, which guarantees
//! ½(1 − 1/e) (Leskovec et al., "Cost-effective outbreak detection", KDD 2007). Set cover uses
//! Chvátal's greedy (ln n + 1 approximation, *Math. Oper. Res.* 4, 1979) followed by removal of
//! redundant sites.
//!
//! **Council floors** come first: while a council is below its floor, open the site that closes
//! most of the remaining deficits. The greedy guarantee does not cover this phase.
//!
//! **Local search** (Teitz & Bart 1968 interchange): for each open site, try every closed site in
//! its place and keep the best exchange if it improves (floor deficit first, then the objective);
//! repeat until no exchange improves or the deadline passes. The result is a local optimum with
//! respect to single swaps; it can only be better than greedy.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::time::Instant;

use crate::eval::{Context, FAIR_TOL, Search};
use crate::problem::{Limit, Objective, ValidProblem};

/// Total shortfall below the council floors.
pub(crate) fn floor_deficit(p: &ValidProblem, reach: &[f64]) -> f64 {
    (0..p.councils.len())
        .filter_map(|c| {
            p.floor[c].map(|f| {
                let need = p.council_need[c];
                let d = f * need - reach[c];
                if d > FAIR_TOL * (1.0 + need) { d } else { 0.0 }
            })
        })
        .sum()
}

/// A queue entry: a (possibly stale) gain of a site.
#[derive(Debug, Clone, Copy)]
struct Entry {
    key: f64,
    site: usize,
    round: usize,
}

impl PartialEq for Entry {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Entry {
    /// Larger key first; among equal keys the lower site index first (deterministic ties).
    fn cmp(&self, o: &Self) -> Ordering {
        self.key
            .total_cmp(&o.key)
            .then_with(|| o.site.cmp(&self.site))
    }
}

/// How the greedy ranks candidate sites.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rank {
    Gain,
    GainPerCost,
}

fn key(rank: Rank, gain: f64, cost: f64) -> f64 {
    match rank {
        Rank::Gain => gain,
        Rank::GainPerCost if cost > 0.0 => gain / cost,
        // Free sites come first, ordered by gain.
        Rank::GainPerCost => f64::MAX / 4.0 + gain.min(f64::MAX / 4.0),
    }
}

fn open_required(s: &mut Search<'_, '_>) {
    let p = s.problem();
    for j in 0..p.n_sites() {
        if p.required[j] {
            s.open(j);
        }
    }
}

/// Whether another site may be opened under the limit.
fn room(s: &Search<'_, '_>) -> bool {
    let p = s.problem();
    match p.limit {
        Some(Limit::Open(k)) => s.open_list.len() < k,
        _ => !(p.objective == Objective::SetCover && s.complete()),
    }
}

fn eligible(s: &mut Search<'_, '_>, j: usize) -> bool {
    !s.is_open[j] && s.affordable(j) && !s.breaks_cap(j)
}

/// Opens sites towards the council floors while any council is below its floor.
fn floor_phase(s: &mut Search<'_, '_>) {
    let p = s.problem();
    if p.floor.iter().all(Option::is_none) {
        return;
    }
    while room(s) {
        let reach = s.council_reach();
        let deficits: Vec<f64> = (0..p.councils.len())
            .map(|c| p.floor[c].map_or(0.0, |f| (f * p.council_need[c] - reach[c]).max(0.0)))
            .collect();
        if floor_deficit(p, &reach) == 0.0 {
            return;
        }
        let mut best: Option<(f64, f64, usize)> = None;
        for j in 0..p.n_sites() {
            if !eligible(s, j) {
                continue;
            }
            let g = s.council_gain(j);
            let toward: f64 = (0..g.len()).map(|c| g[c].min(deficits[c])).sum();
            if toward <= 0.0 {
                continue;
            }
            let total = s.gain(j);
            let better = match best {
                None => true,
                Some((bt, bg, _)) => toward > bt || (toward == bt && total > bg),
            };
            if better {
                best = Some((toward, total, j));
            }
        }
        match best {
            Some((_, _, j)) => s.open(j),
            None => return,
        }
    }
}

/// Lazy greedy from the current state.
fn lazy_greedy(s: &mut Search<'_, '_>, rank: Rank) {
    let p = s.problem();
    let mut heap = BinaryHeap::with_capacity(p.n_sites());
    for j in 0..p.n_sites() {
        if !s.is_open[j] {
            let g = s.gain(j);
            heap.push(Entry {
                key: key(rank, g, p.cost[j]),
                site: j,
                round: 0,
            });
        }
    }
    let mut round = 0usize;
    while room(s) {
        let Some(top) = heap.pop() else { break };
        let j = top.site;
        if s.is_open[j] {
            continue;
        }
        // Cost and cap exclusions are permanent: spend and uncapacitated reach only grow.
        if !s.affordable(j) || s.breaks_cap(j) {
            continue;
        }
        if top.round == round {
            let g = s.gain(j);
            // Under a budget, or for set cover, a site that adds nothing is not worth opening;
            // under `--open p` the count must be met even at zero gain.
            if g <= 0.0 && !matches!(p.limit, Some(Limit::Open(_))) {
                break;
            }
            s.open(j);
            round += 1;
        } else {
            let g = s.gain(j);
            heap.push(Entry {
                key: key(rank, g, p.cost[j]),
                site: j,
                round,
            });
        }
    }
}

/// Removes open sites that set cover does not need (largest index first, deterministic).
fn drop_redundant(s: &mut Search<'_, '_>) {
    let p = s.problem();
    if p.objective != Objective::SetCover || !s.complete() {
        return;
    }
    let mut open = s.open_sorted();
    open.reverse();
    for j in open {
        if p.required[j] {
            continue;
        }
        s.close(j);
        if !s.complete() {
            s.open(j);
        }
    }
}

/// Greedy solution (required sites, then council floors, then lazy greedy).
pub(crate) fn greedy<'c, 'a>(ctx: &'c Context<'a>) -> Search<'c, 'a> {
    let p = ctx.p;
    let run = |rank: Rank| {
        let mut s = Search::new(ctx);
        open_required(&mut s);
        floor_phase(&mut s);
        lazy_greedy(&mut s, rank);
        drop_redundant(&mut s);
        s
    };
    match p.limit {
        Some(Limit::Budget(_)) if p.objective != Objective::SetCover => {
            let a = run(Rank::Gain);
            let b = run(Rank::GainPerCost);
            if better(&b, &a) { b } else { a }
        }
        _ => run(Rank::Gain),
    }
}

/// Lexicographic comparison: complete first, then lower floor deficit, then objective.
fn better(a: &Search<'_, '_>, b: &Search<'_, '_>) -> bool {
    let p = a.problem();
    let ka = (
        a.complete(),
        -floor_deficit(p, &a.council_reach()),
        objective_key(a),
    );
    let kb = (
        b.complete(),
        -floor_deficit(p, &b.council_reach()),
        objective_key(b),
    );
    (ka.0 && !kb.0) || (ka.0 == kb.0 && (ka.1 > kb.1 || (ka.1 == kb.1 && ka.2 > kb.2 + tol(kb.2))))
}

/// Higher is better; for set cover fewer sites is better.
fn objective_key(s: &Search<'_, '_>) -> f64 {
    if s.problem().objective == Objective::SetCover {
        -(s.open_list.len() as f64)
    } else {
        s.score()
    }
}

fn tol(v: f64) -> f64 {
    1e-12 * (1.0 + v.abs())
}

/// Single-swap local search (and, under a budget, additions) until no move improves or the
/// deadline passes. Returns the number of improving moves made.
pub(crate) fn local_search(s: &mut Search<'_, '_>, deadline: Option<Instant>) -> usize {
    let p = s.problem();
    if p.objective == Objective::SetCover {
        drop_redundant(s);
        return 0;
    }
    let m = p.n_sites();
    let mut moves = 0usize;
    loop {
        let mut improved = false;
        // Under a budget, adding never hurts: add whatever still fits and helps.
        if matches!(p.limit, Some(Limit::Budget(_))) {
            lazy_greedy(s, Rank::Gain);
        }
        let base_deficit = floor_deficit(p, &s.council_reach());
        let base_score = s.score();
        let base_complete = s.complete();
        for j in s.open_sorted() {
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return moves;
            }
            if p.required[j] || !s.is_open[j] {
                continue;
            }
            let cur_deficit = floor_deficit(p, &s.council_reach());
            let cur_score = s.score();
            let cur_complete = s.complete();
            s.close(j);
            // Candidates by gain, best first.
            let mut cands: Vec<(f64, usize)> = (0..m)
                .filter(|&k| k != j && !s.is_open[k] && s.affordable(k))
                .collect::<Vec<usize>>()
                .into_iter()
                .map(|k| (s.gain(k), k))
                .collect();
            cands.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            let closed_score = s.score();
            let mut chosen: Option<usize> = None;
            for &(g, k) in &cands {
                let new_score = closed_score + g;
                if cur_deficit == 0.0 && new_score <= cur_score + tol(cur_score) {
                    break; // sorted: nothing later improves the objective
                }
                if s.breaks_cap(k) {
                    continue;
                }
                let deficit = if p.floor.iter().all(Option::is_none) {
                    0.0
                } else {
                    let cg = s.council_gain(k);
                    let mut reach = s.council_reach();
                    for c in 0..reach.len() {
                        reach[c] += cg[c];
                    }
                    floor_deficit(p, &reach)
                };
                s.open(k);
                let complete = s.complete();
                let score = s.score();
                s.close(k);
                let key_new = (complete, -deficit, score);
                let key_cur = (cur_complete, -cur_deficit, cur_score);
                let improves = (key_new.0 && !key_cur.0)
                    || (key_new.0 == key_cur.0
                        && (key_new.1 > key_cur.1 + tol(key_cur.1)
                            || (key_new.1 >= key_cur.1 - tol(key_cur.1)
                                && key_new.2 > key_cur.2 + tol(key_cur.2))));
                if improves {
                    // Without a deficit the first improving candidate by gain is the best swap
                    // for `j`; with one, the first that reduces it (first improvement).
                    chosen = Some(k);
                    break;
                }
            }
            match chosen {
                Some(k) => {
                    s.open(k);
                    moves += 1;
                    improved = true;
                }
                None => s.open(j),
            }
        }
        let end_deficit = floor_deficit(p, &s.council_reach());
        let progressed = end_deficit < base_deficit - tol(base_deficit)
            || s.score() > base_score + tol(base_score)
            || (s.complete() && !base_complete);
        if !improved || !progressed {
            return moves;
        }
    }
}
