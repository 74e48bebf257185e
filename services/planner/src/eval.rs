//! Evaluating a set of open sites: the objective value, the reach per council, and whether every
//! constraint holds. [`Search`] keeps that state incrementally (open/close one site, the gain of
//! opening one) for the greedy and local-search heuristics and the branch-and-bound leaves.

use crate::flow::FlowNetwork;
use crate::milp;
use crate::problem::{Limit, Objective, ValidProblem};

/// Relative tolerance for comparing reach against council floors and caps.
pub(crate) const FAIR_TOL: f64 = 1e-9;

/// Data derived from a [`ValidProblem`] once per solve.
#[derive(Debug)]
pub(crate) struct Context<'a> {
    pub(crate) p: &'a ValidProblem,
    /// Median only: per site, every demand point with a known distance (demand, distance).
    pub(crate) by_site: Vec<Vec<(u32, f64)>>,
    /// Median only: the stand-in distance of an unassigned demand point (> any real distance).
    pub(crate) penalty: f64,
}

impl<'a> Context<'a> {
    pub(crate) fn new(p: &'a ValidProblem) -> Context<'a> {
        let mut by_site = Vec::new();
        let mut penalty = 1.0;
        if p.objective == Objective::Median {
            by_site = vec![Vec::new(); p.n_sites()];
            let mut max_d: f64 = 0.0;
            for (i, row) in p.near.iter().enumerate() {
                for &(j, d) in row {
                    by_site[j as usize].push((i as u32, d));
                    max_d = max_d.max(d);
                }
            }
            penalty = 2.0 * max_d + 1.0;
        }
        Context {
            p,
            by_site,
            penalty,
        }
    }
}

/// The result of evaluating one open set.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Evaluation {
    /// Objective in its natural units: reached weight (coverage), weighted total distance
    /// (median), number of open sites (set cover).
    pub(crate) value: f64,
    /// The first constraint the set violates, if any.
    pub(crate) violation: Option<String>,
    /// Reached weight per council (allocation-based with capacities).
    pub(crate) council_reach: Vec<f64>,
    /// With capacities: per site, (demand, amount) served. Empty otherwise.
    pub(crate) allocation: Vec<Vec<(usize, f64)>>,
}

impl Evaluation {
    pub(crate) fn feasible(&self) -> bool {
        self.violation.is_none()
    }
}

/// Checks the constraints that depend only on which sites are open (required sites, limit,
/// council budgets).
pub(crate) fn structural_violation(p: &ValidProblem, open: &[usize]) -> Option<String> {
    let mut is_open = vec![false; p.n_sites()];
    for &j in open {
        is_open[j] = true;
    }
    if let Some(j) = (0..p.n_sites()).find(|&j| p.required[j] && !is_open[j]) {
        return Some(format!("required site '{}' is closed", p.site_ids[j]));
    }
    match p.limit {
        Some(Limit::Open(k)) if open.len() != k => {
            return Some(format!("open: {} sites open instead of {k}", open.len()));
        }
        Some(Limit::Budget(b)) => {
            let spend: f64 = open.iter().map(|&j| p.cost[j]).sum();
            if spend > b * (1.0 + 1e-12) {
                return Some(format!("budget: {spend} kr spent, {b} kr allowed"));
            }
        }
        _ => {}
    }
    let spend = council_spend(p, open);
    for (c, s) in spend.iter().enumerate() {
        if let Some(b) = p.council_budget[c]
            && *s > b * (1.0 + 1e-12)
        {
            return Some(format!(
                "council budget of '{}': {s} kr spent, {b} kr allowed",
                p.councils[c]
            ));
        }
    }
    None
}

/// Yearly spend per council of the open sites.
pub(crate) fn council_spend(p: &ValidProblem, open: &[usize]) -> Vec<f64> {
    let mut spend = vec![0.0; p.councils.len()];
    for &j in open {
        if let Some(c) = p.site_council[j] {
            spend[c] += p.cost[j];
        }
    }
    spend
}

/// The first council floor or cap the reach violates.
pub(crate) fn fairness_violation(p: &ValidProblem, reach: &[f64]) -> Option<String> {
    for c in 0..p.councils.len() {
        let need = p.council_need[c];
        if let Some(f) = p.floor[c]
            && reach[c] < f * need - FAIR_TOL * (1.0 + need)
        {
            return Some(format!(
                "council floor of '{}': {} of need {} reached, at least {f} required",
                p.councils[c], reach[c], need
            ));
        }
        if let Some(x) = p.cap[c]
            && reach[c] > x * need + FAIR_TOL * (1.0 + need)
        {
            return Some(format!(
                "council cap of '{}': {} of need {} reached, at most {x} allowed",
                p.councils[c], reach[c], need
            ));
        }
    }
    None
}

/// Evaluates an open set exactly, with every constraint.
pub(crate) fn evaluate(ctx: &Context<'_>, open: &[usize]) -> Result<Evaluation, crate::PlanError> {
    let p = ctx.p;
    let k = p.councils.len();
    let mut eval = match p.objective {
        Objective::Coverage => match &p.capacity {
            None => {
                let mut covered = vec![false; p.n_demand()];
                for &j in open {
                    for &i in &p.covers[j] {
                        covered[i as usize] = true;
                    }
                }
                let mut reach = vec![0.0; k];
                let mut value = 0.0;
                for i in 0..p.n_demand() {
                    if covered[i] {
                        value += p.weight[i];
                        if let Some(c) = p.demand_council[i] {
                            reach[c] += p.weight[i];
                        }
                    }
                }
                Evaluation {
                    value,
                    violation: None,
                    council_reach: reach,
                    allocation: Vec::new(),
                }
            }
            Some(cap) => {
                let mut net = FlowNetwork::new(p, cap, |_| true);
                for &j in open {
                    net.open(j);
                }
                let mut reach = vec![0.0; k];
                for i in 0..p.n_demand() {
                    if let Some(c) = p.demand_council[i] {
                        reach[c] += net.demand_flow(i);
                    }
                }
                let alloc: Vec<Vec<(usize, f64)>> =
                    (0..p.n_sites()).map(|j| net.site_allocation(j)).collect();
                let flow_eval = Evaluation {
                    value: net.value(),
                    violation: None,
                    council_reach: reach,
                    allocation: alloc,
                };
                if p.has_floor_or_cap() && fairness_violation(p, &flow_eval.council_reach).is_some()
                {
                    // The maximum-reach allocation breaks a floor or cap; another allocation of
                    // the same open sites may not.
                    match milp::fair_allocation(p, open)? {
                        Some(e) => e,
                        None => Evaluation {
                            violation: fairness_violation(p, &flow_eval.council_reach),
                            ..flow_eval
                        },
                    }
                } else {
                    flow_eval
                }
            }
        },
        Objective::Median => {
            let mut is_open = vec![false; p.n_sites()];
            for &j in open {
                is_open[j] = true;
            }
            let mut value = 0.0;
            let mut missing = 0usize;
            for i in 0..p.n_demand() {
                match p.near[i].iter().find(|&&(j, _)| is_open[j as usize]) {
                    Some(&(_, d)) => value += p.weight[i] * d,
                    None if p.weight[i] > 0.0 => missing += 1,
                    None => {}
                }
            }
            Evaluation {
                value,
                violation: (missing > 0)
                    .then(|| format!("median: {missing} demand points reach no open site")),
                council_reach: covered_reach(p, open),
                allocation: Vec::new(),
            }
        }
        Objective::SetCover => {
            let mut covered = vec![false; p.n_demand()];
            for &j in open {
                for &i in &p.covers[j] {
                    covered[i as usize] = true;
                }
            }
            let missing = covered.iter().filter(|&&c| !c).count();
            Evaluation {
                value: open.len() as f64,
                violation: (missing > 0)
                    .then(|| format!("set cover: {missing} demand points not covered")),
                council_reach: covered_reach(p, open),
                allocation: Vec::new(),
            }
        }
    };
    if eval.violation.is_none() {
        eval.violation = structural_violation(p, open);
    }
    if eval.violation.is_none() && p.objective == Objective::Coverage {
        eval.violation = fairness_violation(p, &eval.council_reach);
    }
    Ok(eval)
}

/// Weight within the radius of an open site, per council (for reporting; 0 without a radius).
pub(crate) fn covered_reach(p: &ValidProblem, open: &[usize]) -> Vec<f64> {
    let mut reach = vec![0.0; p.councils.len()];
    let mut covered = vec![false; p.n_demand()];
    for &j in open {
        for &i in &p.covers[j] {
            covered[i as usize] = true;
        }
    }
    for i in 0..p.n_demand() {
        if covered[i]
            && let Some(c) = p.demand_council[i]
        {
            reach[c] += p.weight[i];
        }
    }
    reach
}

/// Objective-specific incremental state.
#[derive(Debug, Clone)]
enum State {
    /// Uncapacitated coverage and set cover: how many open sites cover each demand point.
    Count { count: Vec<u32> },
    /// Capacitated coverage.
    Flow(Box<FlowNetwork>),
    /// Median: distance to (and index of) the nearest open site; `penalty` when none.
    Median { best: Vec<f64>, best_site: Vec<u32> },
}

/// Incremental evaluation of an open set, for heuristics. `score` is "higher is better" for every
/// objective: reach (coverage), minus the weighted distance (median, unassigned points at the
/// penalty distance), covered points (set cover).
#[derive(Debug, Clone)]
pub(crate) struct Search<'c, 'a> {
    ctx: &'c Context<'a>,
    pub(crate) is_open: Vec<bool>,
    pub(crate) open_list: Vec<usize>,
    /// Coverage: reach; median: weighted distance incl. penalties; set cover: covered points.
    value: f64,
    /// Uncapacitated coverage: reach per council.
    reach: Vec<f64>,
    pub(crate) spend: f64,
    pub(crate) council_spend: Vec<f64>,
    state: State,
}

impl<'c, 'a> Search<'c, 'a> {
    /// All sites closed.
    pub(crate) fn new(ctx: &'c Context<'a>) -> Self {
        let p = ctx.p;
        let n = p.n_demand();
        let state = match (p.objective, &p.capacity) {
            (Objective::Coverage, Some(cap)) => {
                State::Flow(Box::new(FlowNetwork::new(p, cap, |_| true)))
            }
            (Objective::Median, _) => State::Median {
                best: vec![ctx.penalty; n],
                best_site: vec![u32::MAX; n],
            },
            _ => State::Count { count: vec![0; n] },
        };
        let value = if p.objective == Objective::Median {
            ctx.penalty * p.total_weight()
        } else {
            0.0
        };
        Search {
            ctx,
            is_open: vec![false; p.n_sites()],
            open_list: Vec::new(),
            value,
            reach: vec![0.0; p.councils.len()],
            spend: 0.0,
            council_spend: vec![0.0; p.councils.len()],
            state,
        }
    }

    pub(crate) fn problem(&self) -> &'a ValidProblem {
        self.ctx.p
    }

    /// Higher is better.
    pub(crate) fn score(&self) -> f64 {
        match self.state {
            State::Median { .. } => -self.value,
            State::Flow(ref net) => net.value(),
            State::Count { .. } => self.value,
        }
    }

    /// Reach per council (uncapacitated: exact; capacitated: of the maximum-flow allocation).
    pub(crate) fn council_reach(&self) -> Vec<f64> {
        let p = self.ctx.p;
        match &self.state {
            State::Flow(net) => {
                let mut r = vec![0.0; p.councils.len()];
                for i in 0..p.n_demand() {
                    if let Some(c) = p.demand_council[i] {
                        r[c] += net.demand_flow(i);
                    }
                }
                r
            }
            _ => self.reach.clone(),
        }
    }

    /// The score gained by opening closed site `j`.
    pub(crate) fn gain(&mut self, j: usize) -> f64 {
        let p = self.ctx.p;
        match &mut self.state {
            State::Count { count } => {
                let cov = &p.covers[j];
                if p.objective == Objective::SetCover {
                    cov.iter().filter(|&&i| count[i as usize] == 0).count() as f64
                } else {
                    cov.iter()
                        .filter(|&&i| count[i as usize] == 0)
                        .map(|&i| p.weight[i as usize])
                        .sum()
                }
            }
            State::Flow(net) => net.gain_if_open(j),
            State::Median { best, .. } => self.ctx.by_site[j]
                .iter()
                .map(|&(i, d)| {
                    let i = i as usize;
                    p.weight[i] * (best[i] - d).max(0.0)
                })
                .sum(),
        }
    }

    /// Reach gained per council by opening `j` (uncapacitated coverage exact; capacitated: by
    /// trial opening).
    pub(crate) fn council_gain(&mut self, j: usize) -> Vec<f64> {
        let p = self.ctx.p;
        let mut g = vec![0.0; p.councils.len()];
        match &self.state {
            State::Count { count } => {
                for &i in &p.covers[j] {
                    let i = i as usize;
                    if count[i] == 0
                        && let Some(c) = p.demand_council[i]
                    {
                        g[c] += p.weight[i];
                    }
                }
            }
            State::Flow(_) => {
                let before = self.council_reach();
                self.open(j);
                let after = self.council_reach();
                self.close(j);
                for c in 0..g.len() {
                    g[c] = after[c] - before[c];
                }
            }
            State::Median { .. } => {}
        }
        g
    }

    pub(crate) fn open(&mut self, j: usize) {
        if self.is_open[j] {
            return;
        }
        let p = self.ctx.p;
        self.is_open[j] = true;
        self.open_list.push(j);
        self.spend += p.cost[j];
        if let Some(c) = p.site_council[j] {
            self.council_spend[c] += p.cost[j];
        }
        match &mut self.state {
            State::Count { count } => {
                for &i in &p.covers[j] {
                    let i = i as usize;
                    if count[i] == 0 {
                        if p.objective == Objective::SetCover {
                            self.value += 1.0;
                        } else {
                            self.value += p.weight[i];
                        }
                        if let Some(c) = p.demand_council[i] {
                            self.reach[c] += p.weight[i];
                        }
                    }
                    count[i] += 1;
                }
            }
            State::Flow(net) => net.open(j),
            State::Median { best, best_site } => {
                for &(i, d) in &self.ctx.by_site[j] {
                    let i = i as usize;
                    if d < best[i] || (d == best[i] && (j as u32) < best_site[i]) {
                        self.value -= p.weight[i] * (best[i] - d);
                        best[i] = d;
                        best_site[i] = j as u32;
                    }
                }
            }
        }
    }

    pub(crate) fn close(&mut self, j: usize) {
        if !self.is_open[j] {
            return;
        }
        let p = self.ctx.p;
        self.is_open[j] = false;
        if let Some(pos) = self.open_list.iter().position(|&x| x == j) {
            self.open_list.swap_remove(pos);
        }
        self.spend -= p.cost[j];
        if let Some(c) = p.site_council[j] {
            self.council_spend[c] -= p.cost[j];
        }
        match &mut self.state {
            State::Count { count } => {
                for &i in &p.covers[j] {
                    let i = i as usize;
                    count[i] -= 1;
                    if count[i] == 0 {
                        if p.objective == Objective::SetCover {
                            self.value -= 1.0;
                        } else {
                            self.value -= p.weight[i];
                        }
                        if let Some(c) = p.demand_council[i] {
                            self.reach[c] -= p.weight[i];
                        }
                    }
                }
            }
            State::Flow(net) => net.close(j),
            State::Median { best, best_site } => {
                for &(i, _) in &self.ctx.by_site[j] {
                    let i = i as usize;
                    if best_site[i] == j as u32 {
                        let (s, d) = p.near[i]
                            .iter()
                            .find(|&&(s, _)| self.is_open[s as usize])
                            .map_or((u32::MAX, self.ctx.penalty), |&(s, d)| (s, d));
                        self.value += p.weight[i] * (d - best[i]);
                        best[i] = d;
                        best_site[i] = s;
                    }
                }
            }
        }
    }

    /// Whether every demand point of positive weight is covered (set cover) / assigned (median).
    pub(crate) fn complete(&self) -> bool {
        let p = self.ctx.p;
        match &self.state {
            State::Count { count } => {
                p.objective != Objective::SetCover || count.iter().all(|&c| c > 0)
            }
            State::Median { best_site, .. } => best_site
                .iter()
                .enumerate()
                .all(|(i, &s)| s != u32::MAX || p.weight[i] == 0.0),
            State::Flow(_) => true,
        }
    }

    /// Whether opening `j` keeps the limit and the council budgets (cost-only checks).
    pub(crate) fn affordable(&self, j: usize) -> bool {
        let p = self.ctx.p;
        if let Some(Limit::Budget(b)) = p.limit
            && self.spend + p.cost[j] > b * (1.0 + 1e-12)
        {
            return false;
        }
        if let Some(c) = p.site_council[j]
            && let Some(b) = p.council_budget[c]
            && self.council_spend[c] + p.cost[j] > b * (1.0 + 1e-12)
        {
            return false;
        }
        true
    }

    /// Whether opening `j` would push an uncapacitated council reach above its cap (reach then
    /// only grows, so such a site stays excluded).
    pub(crate) fn breaks_cap(&mut self, j: usize) -> bool {
        let p = self.ctx.p;
        if p.cap.iter().all(Option::is_none) || matches!(self.state, State::Flow(_)) {
            return false;
        }
        let g = self.council_gain(j);
        (0..p.councils.len()).any(|c| {
            p.cap[c].is_some_and(|x| {
                let need = p.council_need[c];
                self.reach[c] + g[c] > x * need + FAIR_TOL * (1.0 + need)
            })
        })
    }

    /// Sorted copy of the open sites.
    pub(crate) fn open_sorted(&self) -> Vec<usize> {
        let mut v = self.open_list.clone();
        v.sort_unstable();
        v
    }
}
