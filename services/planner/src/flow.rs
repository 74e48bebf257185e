//! Capacitated reach as a maximum flow.
//!
//! With site capacities, the need an open set S reaches is the value of a maximum flow in the
//! bipartite network source → site j (capacity `cap_j` if j ∈ S, else 0) → demand i (unbounded,
//! when i is within the radius of j) → sink (capacity `w_i`). Demand may be split between sites.
//! As a function of S this value is monotone and submodular (Megiddo, "Optimal flows in networks
//! with multiple sources and sinks", *Math. Programming* 7, 1974), so the greedy guarantee of
//! Nemhauser, Wolsey & Fisher (1978) carries over from the uncapacitated case.
//!
//! Solved by Dinic's algorithm (iterative, so no recursion depth limit). Opening a site augments
//! the current flow; closing one cancels the flow through it and re-augments, so local search
//! does not start from scratch.

use crate::problem::ValidProblem;

/// Residual capacities below this (relative to the total weight) count as zero.
const REL_EPS: f64 = 1e-12;

/// The flow network of a capacitated coverage problem, with a current (maximum) flow.
#[derive(Debug, Clone)]
pub(crate) struct FlowNetwork {
    /// Node count: source 0, sites 1..=m, demand m+1..=m+n, sink m+n+1.
    n_nodes: usize,
    m: usize,
    head: Vec<usize>,
    to: Vec<u32>,
    res: Vec<f64>,
    /// CSR offsets of each node's edges in `adj`.
    adj_start: Vec<usize>,
    adj: Vec<u32>,
    capacity: Vec<f64>,
    is_open: Vec<bool>,
    /// Index of the source → site j edge.
    source_edge: Vec<usize>,
    /// Index of the demand i → sink edge.
    sink_edge: Vec<usize>,
    /// Per site, the range of its site → demand edges.
    site_edges: Vec<(usize, usize)>,
    value: f64,
    eps: f64,
    level: Vec<i32>,
    iter: Vec<usize>,
}

impl FlowNetwork {
    /// Builds the network with every site closed. Demand points for which `include` is false get
    /// a sink capacity of 0 (used to compute one council's reach).
    pub(crate) fn new(
        p: &ValidProblem,
        capacity: &[f64],
        include: impl Fn(usize) -> bool,
    ) -> FlowNetwork {
        let m = p.n_sites();
        let n = p.n_demand();
        let n_nodes = m + n + 2;
        let sink = m + n + 1;
        let n_edges = 2 * (m + n + p.covers.iter().map(Vec::len).sum::<usize>());
        let mut head = Vec::with_capacity(n_edges);
        let mut to = Vec::with_capacity(n_edges);
        let mut res = Vec::with_capacity(n_edges);
        let mut add = |a: usize, b: usize, c: f64| -> usize {
            let e = head.len();
            head.push(a);
            to.push(b as u32);
            res.push(c);
            head.push(b);
            to.push(a as u32);
            res.push(0.0);
            e
        };
        let source_edge: Vec<usize> = (0..m).map(|j| add(0, 1 + j, 0.0)).collect();
        let mut site_edges = Vec::with_capacity(m);
        for (j, cov) in p.covers.iter().enumerate() {
            // A site's edges are added one after another: [lo, hi) in steps of 2.
            let mut range = (0, 0);
            for (k, &i) in cov.iter().enumerate() {
                let e = add(1 + j, 1 + m + i as usize, f64::INFINITY);
                if k == 0 {
                    range.0 = e;
                }
                range.1 = e + 2;
            }
            site_edges.push(range);
        }
        let sink_edge: Vec<usize> = (0..n)
            .map(|i| {
                let c = if include(i) { p.weight[i] } else { 0.0 };
                add(1 + m + i, sink, c)
            })
            .collect();
        // CSR adjacency.
        let mut deg = vec![0usize; n_nodes + 1];
        for &h in &head {
            deg[h + 1] += 1;
        }
        for v in 0..n_nodes {
            deg[v + 1] += deg[v];
        }
        let adj_start = deg.clone();
        let mut fill = deg;
        let mut adj = vec![0u32; head.len()];
        for (e, &h) in head.iter().enumerate() {
            adj[fill[h]] = e as u32;
            fill[h] += 1;
        }
        let eps = REL_EPS * (1.0 + p.weight.iter().sum::<f64>());
        FlowNetwork {
            n_nodes,
            m,
            head,
            to,
            res,
            adj_start,
            adj,
            capacity: capacity.to_vec(),
            is_open: vec![false; m],
            source_edge,
            sink_edge,
            site_edges,
            value: 0.0,
            eps,
            level: vec![0; n_nodes],
            iter: vec![0; n_nodes],
        }
    }

    /// Current flow value (the reach of the open sites).
    pub(crate) fn value(&self) -> f64 {
        self.value
    }

    /// Flow through site `j` (the need it serves).
    #[cfg(test)]
    pub(crate) fn site_flow(&self, j: usize) -> f64 {
        self.res[self.source_edge[j] ^ 1]
    }

    /// Flow into the sink from demand `i` (how much of its weight is reached).
    pub(crate) fn demand_flow(&self, i: usize) -> f64 {
        self.res[self.sink_edge[i] ^ 1]
    }

    /// Flow from site `j` to each demand point it serves: (demand index, amount > 0).
    pub(crate) fn site_allocation(&self, j: usize) -> Vec<(usize, f64)> {
        let (lo, hi) = self.site_edges[j];
        (lo..hi)
            .step_by(2)
            .filter_map(|e| {
                let f = self.res[e ^ 1];
                (f > self.eps).then(|| (self.to[e] as usize - 1 - self.m, f))
            })
            .collect()
    }

    /// Opens site `j` and restores a maximum flow.
    pub(crate) fn open(&mut self, j: usize) {
        if self.is_open[j] {
            return;
        }
        self.is_open[j] = true;
        self.res[self.source_edge[j]] = self.capacity[j];
        self.augment();
    }

    /// Closes site `j`: cancels the flow through it and restores a maximum flow.
    pub(crate) fn close(&mut self, j: usize) {
        if !self.is_open[j] {
            return;
        }
        self.is_open[j] = false;
        let (lo, hi) = self.site_edges[j];
        let mut removed = 0.0;
        for e in (lo..hi).step_by(2) {
            let f = self.res[e ^ 1];
            if f > 0.0 {
                self.res[e ^ 1] = 0.0;
                self.res[e] += f;
                let i = self.to[e] as usize - 1 - self.m;
                let se = self.sink_edge[i];
                self.res[se] += f;
                self.res[se ^ 1] -= f;
                removed += f;
            }
        }
        let se = self.source_edge[j];
        self.res[se] = 0.0;
        self.res[se ^ 1] = 0.0;
        self.value -= removed;
        self.augment();
    }

    /// The increase in reach if site `j` were opened (the network is left unchanged).
    pub(crate) fn gain_if_open(&mut self, j: usize) -> f64 {
        if self.is_open[j] {
            return 0.0;
        }
        let saved = self.res.clone();
        let before = self.value;
        self.open(j);
        let gain = self.value - before;
        self.res = saved;
        self.value = before;
        self.is_open[j] = false;
        gain.max(0.0)
    }

    fn bfs(&mut self) -> bool {
        let sink = self.n_nodes - 1;
        self.level.iter_mut().for_each(|l| *l = -1);
        self.level[0] = 0;
        let mut queue = std::collections::VecDeque::new();
        queue.push_back(0usize);
        while let Some(v) = queue.pop_front() {
            for k in self.adj_start[v]..self.adj_start[v + 1] {
                let e = self.adj[k] as usize;
                let w = self.to[e] as usize;
                if self.res[e] > self.eps && self.level[w] < 0 {
                    self.level[w] = self.level[v] + 1;
                    queue.push_back(w);
                }
            }
        }
        self.level[sink] >= 0
    }

    /// Dinic's algorithm from the current flow.
    fn augment(&mut self) {
        let sink = self.n_nodes - 1;
        let mut path: Vec<usize> = Vec::new();
        while self.bfs() {
            for v in 0..self.n_nodes {
                self.iter[v] = self.adj_start[v];
            }
            path.clear();
            let mut v = 0usize;
            loop {
                if v == sink {
                    let f = path
                        .iter()
                        .map(|&e| self.res[e])
                        .fold(f64::INFINITY, f64::min);
                    for &e in &path {
                        self.res[e] -= f;
                        self.res[e ^ 1] += f;
                    }
                    self.value += f;
                    // Restart from the tail of the first saturated edge.
                    let cut = path
                        .iter()
                        .position(|&e| self.res[e] <= self.eps)
                        .unwrap_or(0);
                    path.truncate(cut);
                    v = path.last().map_or(0, |&e| self.to[e] as usize);
                    continue;
                }
                let mut advanced = false;
                while self.iter[v] < self.adj_start[v + 1] {
                    let e = self.adj[self.iter[v]] as usize;
                    let w = self.to[e] as usize;
                    if self.res[e] > self.eps && self.level[w] == self.level[v] + 1 {
                        path.push(e);
                        v = w;
                        advanced = true;
                        break;
                    }
                    self.iter[v] += 1;
                }
                if !advanced {
                    self.level[v] = -1;
                    match path.pop() {
                        None => break,
                        Some(e) => {
                            v = self.head[e];
                            self.iter[v] += 1;
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::{
        CandidateSite, Coverage, DemandPoint, DistanceMatrix, Fairness, Limit, Objective,
        PlanRequest,
    };

    fn instance() -> ValidProblem {
        // Two sites, three demand points of weight 5, 5, 5. Site A covers d0, d1; site B covers
        // d1, d2. Capacities A = 6, B = 6.
        let demand = (0..3)
            .map(|i| DemandPoint {
                id: format!("d{i}"),
                weight: 5.0,
                population: None,
                council: None,
                location: None,
            })
            .collect();
        let sites = ["A", "B"]
            .iter()
            .map(|s| CandidateSite {
                id: s.to_string(),
                capacity: Some(6.0),
                cost: None,
                required: false,
                council: None,
                location: None,
            })
            .collect();
        let d = vec![vec![1.0, 9.0], vec![1.0, 1.0], vec![9.0, 1.0]];
        PlanRequest {
            demand,
            sites,
            coverage: Coverage::Matrix {
                distances: DistanceMatrix::Dense(d),
                radius: Some(2.0),
            },
            limit: Some(Limit::Open(2)),
            objective: Objective::Coverage,
            fairness: Fairness::default(),
            teams: None,
        }
        .validate()
        .unwrap()
    }

    #[test]
    fn flow_respects_capacities_and_rerouting() {
        let p = instance();
        let cap = p.capacity.clone().unwrap();
        let mut net = FlowNetwork::new(&p, &cap, |_| true);
        assert_eq!(net.value(), 0.0);
        assert_eq!(net.gain_if_open(0), 6.0);
        assert_eq!(
            net.value(),
            0.0,
            "gain_if_open leaves the network unchanged"
        );
        net.open(0);
        assert_eq!(net.value(), 6.0);
        // Opening B: B can take d2 (5) and 1 of d1 → 12 total (capacity bound 6 + 6).
        assert_eq!(net.gain_if_open(1), 6.0);
        net.open(1);
        assert_eq!(net.value(), 12.0);
        assert!((net.site_flow(0) - 6.0).abs() < 1e-12);
        let served: f64 = (0..3).map(|i| net.demand_flow(i)).sum();
        assert!((served - 12.0).abs() < 1e-12);
        net.close(0);
        assert_eq!(net.value(), 6.0);
        assert_eq!(net.site_flow(0), 0.0);
        net.open(0);
        assert_eq!(net.value(), 12.0);
        let alloc: f64 = net.site_allocation(1).iter().map(|a| a.1).sum();
        assert!((alloc - net.site_flow(1)).abs() < 1e-12);
    }
}
