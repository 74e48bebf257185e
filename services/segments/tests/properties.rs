//! Property tests of segment release and aggregation (issue 6 acceptance):
//!
//! - over random tables and random query scopes (overlapping scopes, a scope and its
//!   complement): no released cell below k; no suppressed cell recoverable from the released
//!   cells, the margins and every released scope total — checked independently by linear
//!   programming over the persons' attribute atoms (min/max of each suppressed cell), which also
//!   checks that no single atom (e.g. "18-29 with flag a, without b") is pinned to 1..k−1;
//!   suppression is stable (same data ⇒ same cells, whatever the input order);
//! - no rate, ratio or excess is computed from a suppressed count;
//! - aggregation equals a naive per-row count for any rows and any number of threads;
//! - random bytes never make the microdata reader panic.

use std::collections::BTreeMap;
use std::io::Write;

use good_lp::{
    Expression, ProblemVariables, ResolutionError, Solution, SolverModel, Variable, constraint,
    microlp, variable,
};
use lighed_core::disclosure::{MinCellSize, Reason};
use lighed_core::obs::Observation;
use lighed_segments::{
    AggregateOptions, Cell, Column, Definitions, ProtectedRelease, ScoreQuery, SegmentCounts,
    aggregate_file, aggregate_reader, score,
};
use proptest::prelude::*;

/// Three segments with a shared base (s0, s1) and nested populations (s2 inside s0).
const DEFS: &str = r#"
[definitions]
name = "props"
version = "1"
description = "linked segments for property tests"

[flags.a]
label = "flag a"
source = "test"

[flags.b]
label = "flag b"
source = "test"

[[segments]]
id = "s0"
label = "18-64 with a"
description = "t"
base_label = "18-64"
base = { age = [18, 64] }
conditions = { all_flags = ["a"] }

[[segments]]
id = "s1"
label = "18-64 with b"
description = "t"
base_label = "18-64"
base = { age = [18, 64] }
conditions = { all_flags = ["b"] }

[[segments]]
id = "s2"
label = "30-64 with a"
description = "t"
base_label = "30-64"
base = { age = [30, 64] }
conditions = { all_flags = ["a"] }
"#;

/// Atoms: bit 0 = a, bit 1 = b, bit 2 = aged 30-64 (else 18-29).
const ATOMS: usize = 8;

/// Whether atom `t` is in the population of (segment, column).
fn in_set(seg: usize, col: Column, t: usize) -> bool {
    let (a, b, old) = (t & 1 == 1, t & 2 == 2, t & 4 == 4);
    let (base, member) = match seg {
        0 => (true, a),
        1 => (true, b),
        _ => (old, a),
    };
    match col {
        Column::Base => base,
        Column::Members => base && member,
        Column::NonMembers => base && !member,
    }
}

fn defs() -> Definitions {
    Definitions::from_toml("props.toml", DEFS).unwrap()
}

/// Register observations for atom counts `x[area][atom]` (18-29 in band 20-24, 30-64 in 40-44).
fn observations(x: &[[u64; ATOMS]]) -> Vec<Observation> {
    let mut out = Vec::new();
    for (i, row) in x.iter().enumerate() {
        for seg in 0..3 {
            for (old, band) in [(false, "20-24"), (true, "40-44")] {
                let (mut m, mut b) = (0, 0);
                for (t, &v) in row.iter().enumerate() {
                    if (t & 4 == 4) == old {
                        m += if in_set(seg, Column::Members, t) {
                            v
                        } else {
                            0
                        };
                        b += if in_set(seg, Column::Base, t) { v } else { 0 };
                    }
                }
                if b > 0 {
                    out.push(Observation {
                        area_code: format!("P{i:02}"),
                        indicator: "segment_persons".into(),
                        period: "2025".into(),
                        numerator: Some(m as f64),
                        denominator: Some(b as f64),
                        age_band: band.into(),
                        sex: "1".into(),
                        segment: format!("s{seg}"),
                        missing: None,
                    });
                }
            }
        }
    }
    out
}

/// Many small counts: atoms 0..=6 mostly, sometimes large.
fn atoms() -> impl Strategy<Value = Vec<[u64; ATOMS]>> {
    proptest::collection::vec(
        proptest::array::uniform8(prop_oneof![4 => 0u64..=6, 1 => 7u64..=40]),
        2..=5,
    )
}

/// The attacker's linear system: atom counts ≥ 0 per area; released cells and released scope
/// totals are equalities; suppressed cells lie in their reason's interval.
struct System<'a> {
    x: &'a [[u64; ATOMS]],
    release: &'a ProtectedRelease,
    scope_totals: Vec<(usize, Column, Vec<usize>, u64)>,
    k: u64,
}

impl System<'_> {
    fn cell_expr(
        &self,
        vars: &[Vec<Variable>],
        seg: usize,
        col: Column,
        rows: &[usize],
    ) -> Expression {
        let mut e = Expression::from(0.0);
        for &r in rows {
            for (t, &v) in vars[r].iter().enumerate() {
                if in_set(seg, col, t) {
                    e += v;
                }
            }
        }
        e
    }

    fn rows_of(&self, row: usize) -> Vec<usize> {
        if row == self.x.len() {
            (0..self.x.len()).collect()
        } else {
            vec![row]
        }
    }

    /// min and max of `target` over the system (None if infeasible — never expected).
    fn range(&self, target: &dyn Fn(&[Vec<Variable>]) -> Expression) -> (f64, f64) {
        let solve = |maximise: bool| -> f64 {
            let mut pv = ProblemVariables::new();
            let vars: Vec<Vec<Variable>> = (0..self.x.len())
                .map(|_| (0..ATOMS).map(|_| pv.add(variable().min(0.0))).collect())
                .collect();
            let obj = target(&vars);
            let mut m = if maximise {
                pv.maximise(obj.clone()).using(microlp)
            } else {
                pv.minimise(obj.clone()).using(microlp)
            };
            let k = self.k as f64;
            for seg in 0..3 {
                for row in 0..=self.x.len() {
                    for col in Column::ALL {
                        let e = self.cell_expr(&vars, seg, col, &self.rows_of(row));
                        match self.release.cell(seg, row, col) {
                            Cell::Released(v) => m = m.with(constraint::eq(e, v as f64)),
                            Cell::Suppressed(Reason::Primary) => {
                                m = m.with(constraint::geq(e.clone(), 1.0));
                                m = m.with(constraint::leq(e, k - 1.0));
                            }
                            Cell::Suppressed(Reason::Complementary) => {
                                m = m.with(constraint::geq(e, k));
                            }
                            Cell::Withheld => {}
                        }
                    }
                }
            }
            for (seg, col, rows, v) in &self.scope_totals {
                let e = self.cell_expr(&vars, *seg, *col, rows);
                m = m.with(constraint::eq(e, *v as f64));
            }
            match m.solve() {
                Ok(s) => s.eval(&obj),
                Err(ResolutionError::Unbounded) => {
                    if maximise {
                        f64::INFINITY
                    } else {
                        f64::NEG_INFINITY
                    }
                }
                Err(e) => panic!("the true counts satisfy the system, so it is feasible: {e:?}"),
            }
        };
        (solve(false), solve(true))
    }
}

fn scope_strategy() -> impl Strategy<Value = Vec<Vec<bool>>> {
    proptest::collection::vec(proptest::collection::vec(any::<bool>(), 6), 1..=3)
}

/// Cases per property: `PROPTEST_CASES` when set (for long runs), else `default` (fast in debug).
fn cases(default: u32) -> ProptestConfig {
    let n = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    ProptestConfig::with_cases(n)
}

proptest! {
    #![proptest_config(cases(10))]

    #[test]
    fn released_cells_and_scopes_never_reveal_a_suppressed_cell(
        x in atoms(),
        scopes in scope_strategy(),
        k in prop_oneof![3 => Just(5u64), 1 => 6u64..=8],
    ) {
        let d = defs();
        let k = MinCellSize::new(k).unwrap();
        let obs = observations(&x);
        let counts = SegmentCounts::from_observations(&obs, &d).unwrap();
        // Every area has someone aged 18-64 (else the area is absent); keep areas aligned.
        prop_assume!(counts.areas().len() == x.len());
        let release = ProtectedRelease::new(&counts, &d, k).unwrap();

        // Stable: same data, any input order, same release.
        let mut reversed = obs.clone();
        reversed.reverse();
        let again = ProtectedRelease::new(&SegmentCounts::from_observations(&reversed, &d).unwrap(), &d, k).unwrap();
        prop_assert_eq!(&release, &again);

        // No released cell of 1..k-1 persons, and released values are the true ones.
        for seg in 0..3 {
            for row in 0..=x.len() {
                for col in Column::ALL {
                    let truth: u64 = (0..x.len())
                        .filter(|&r| row == x.len() || r == row)
                        .map(|r| (0..ATOMS).filter(|&t| in_set(seg, col, t)).map(|t| x[r][t]).sum::<u64>())
                        .sum();
                    match release.cell(seg, row, col) {
                        Cell::Released(v) => {
                            prop_assert_eq!(v, truth);
                            prop_assert!(v == 0 || v >= k.get(), "released {} < k", v);
                        }
                        Cell::Suppressed(Reason::Primary) => prop_assert!(truth >= 1 && truth < k.get()),
                        Cell::Suppressed(Reason::Complementary) => prop_assert!(truth >= k.get() || !release.is_protected(seg)),
                        Cell::Withheld => prop_assert!(false, "tables hold no withheld cell"),
                    }
                }
            }
        }

        // Scopes: each drawn scope, its complement, and their overlaps with each other.
        let mut scope_sets: Vec<Vec<usize>> = Vec::new();
        for s in &scopes {
            let inside: Vec<usize> = (0..x.len()).filter(|&i| s[i]).collect();
            let outside: Vec<usize> = (0..x.len()).filter(|&i| !s[i]).collect();
            scope_sets.push(inside);
            scope_sets.push(outside);
        }
        let mut scope_totals = Vec::new();
        for rows in &scope_sets {
            if rows.is_empty() {
                continue;
            }
            let q = ScoreQuery {
                scope: Some(rows.iter().map(|&i| format!("P{i:02}")).collect()),
                ..ScoreQuery::default()
            };
            let s = score(&release, &q).unwrap();
            for (seg, t) in s.totals.iter().enumerate() {
                for (col, cell) in [(Column::Members, t.scope.persons), (Column::Base, t.scope.base)] {
                    if let Cell::Released(v) = cell {
                        prop_assert!(v == 0 || v >= k.get());
                        scope_totals.push((seg, col, rows.clone(), v));
                    }
                }
            }
            // No number from a suppressed count.
            for c in &s.cells {
                let n = &c.numbers;
                if n.persons.value().is_none() || n.base.value().is_none() {
                    prop_assert!(n.prevalence.is_none() && n.ratio.is_none() && n.excess.is_none() && n.expected.is_none());
                    prop_assert!(c.rank.is_none());
                }
                if n.persons.value().is_none() {
                    prop_assert!(n.share_of_region.is_none());
                }
            }
        }

        // The attacker's LP: every suppressed cell keeps an interval of positive width.
        let sys = System { x: &x, release: &release, scope_totals, k: k.get() };
        for seg in 0..3 {
            if !release.is_protected(seg) {
                continue;
            }
            for row in 0..=x.len() {
                for col in Column::ALL {
                    if let Cell::Suppressed(_) = release.cell(seg, row, col) {
                        let rows = sys.rows_of(row);
                        let (lo, hi) = sys.range(&|v| sys.cell_expr(v, seg, col, &rows));
                        prop_assert!(hi - lo >= 1e-6, "segment {} row {} {:?} pinned to {}", seg, row, col, lo);
                    }
                }
            }
        }
        // No atom of an area is pinned to 1..k-1 persons.
        if (0..3).all(|s| release.is_protected(s)) {
            for (r, row) in x.iter().enumerate() {
                for (t, &v) in row.iter().enumerate() {
                    if v >= 1 && v < k.get() {
                        let (lo, hi) = sys.range(&|vars| Expression::from(vars[r][t]));
                        prop_assert!(hi - lo >= 1e-6, "area {} atom {} = {} pinned", r, t, v);
                    }
                }
            }
        }
    }
}

/// Naive membership for [`DEFS`]: age, flags a and b.
fn naive(seg: usize, age: u8, a: bool, b: bool) -> (bool, bool) {
    let (base, member) = match seg {
        0 => ((18..=64).contains(&age), a),
        1 => ((18..=64).contains(&age), b),
        _ => ((30..=64).contains(&age), a),
    };
    (base, base && member)
}

proptest! {
    #![proptest_config(cases(16))]

    #[test]
    fn aggregation_equals_a_naive_count_for_any_thread_count(
        rows in proptest::collection::vec((0u8..5, 0u8..=125, 1u8..=2, any::<bool>(), any::<bool>()), 0..400),
        threads in 1usize..=4,
        crlf in any::<bool>(),
    ) {
        let d = defs();
        let nl = if crlf { "\r\n" } else { "\n" };
        let mut text = format!("sex,age,b,area_code,a{nl}");
        let mut expect: BTreeMap<(String, usize), [u64; 2]> = BTreeMap::new();
        for &(area, age, sex, a, b) in &rows {
            text.push_str(&format!("{sex},{age},{},Z{area},{}{nl}", b as u8, a as u8));
            for seg in 0..3 {
                let (base, member) = naive(seg, age, a, b);
                let e = expect.entry((format!("Z{area}"), seg)).or_insert([0, 0]);
                e[0] += member as u64;
                e[1] += base as u64;
            }
        }
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(text.as_bytes()).unwrap();
        f.flush().unwrap();
        let (c, summary) = aggregate_file(f.path(), &d, &AggregateOptions { threads, progress: None }).unwrap();
        prop_assert_eq!(summary.rows, rows.len() as u64);
        let (c2, _) = aggregate_reader("stdin", text.as_bytes(), &d).unwrap();
        prop_assert_eq!(&c, &c2);
        for (a, area) in c.areas().iter().enumerate() {
            for seg in 0..3 {
                prop_assert_eq!(c.total(a, seg), expect[&(area.clone(), seg)]);
            }
        }
        prop_assert_eq!(c.areas().len(), expect.keys().map(|(a, _)| a).collect::<std::collections::BTreeSet<_>>().len());
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let d = defs();
        let mut text = b"area_code;age;sex;a;b\n".to_vec();
        text.extend_from_slice(&bytes);
        let _ = aggregate_reader("stdin", text.as_slice(), &d);
        let _ = aggregate_reader("stdin", bytes.as_slice(), &d);
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(&text).unwrap();
        f.flush().unwrap();
        let _ = aggregate_file(f.path(), &d, &AggregateOptions { threads: 3, progress: None });
    }
}
