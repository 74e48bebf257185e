//! Deterministic scoring: evaluate the plan on the point estimates, rank, assign deciles, and
//! decompose the score exactly into indicator contributions with reasons in plain words.

use std::cmp::Ordering;

use ndarray::Array2;

use super::plan::{Missing, Op, Plan};
use super::{
    AreaScore, Contribution, Evaluation, IndicatorSpec, ModelError, ModelSpec, OutputColumn,
    ScoreTable, ScoringInput,
};
use crate::kernel::leaves::{Gap, Leaf, Prepared, ShrinkDetail, ShrinkScratch, prepare};
use crate::kernel::{Scratch, run_steps};
use crate::transform;

/// Orders two areas by need: higher score first, then area code ascending; unscored last.
pub(crate) fn cmp_need(sa: Option<f64>, ca: &str, sb: Option<f64>, cb: &str) -> Ordering {
    match (sa, sb) {
        (Some(a), Some(b)) => b.total_cmp(&a).then_with(|| ca.cmp(cb)),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => ca.cmp(cb),
    }
}

/// Evaluates the plan on the point estimates: the nodes × areas matrix.
pub(crate) fn point_matrix(spec: &ModelSpec, prep: &Prepared) -> Array2<f64> {
    let mut m = Array2::<f64>::zeros((spec.plan.names.len(), prep.n));
    let mut buf = ShrinkScratch::default();
    for (k, leaf) in prep.leaves.iter().enumerate() {
        leaf.fill_point(&mut m.row_mut(k), &prep.included, &mut buf, None);
    }
    let mut s = Scratch::default();
    run_steps(&spec.plan, &mut m.view_mut(), &prep.included, &mut s);
    m
}

/// Formats `v` with `decimals` decimals and the unit ("8.1 %", "45.2 per 1,000").
pub(crate) fn with_unit(v: f64, decimals: u8, unit: &str) -> String {
    format!("{v:.prec$} {unit}", prec = usize::from(decimals))
}

fn plain_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

/// The part of a reason shared by all areas of an indicator: " vs 5.0 % in the region".
fn reference_text(ind: &IndicatorSpec, reference: Option<f64>, reference_label: &str) -> String {
    match reference {
        Some(r) => format!(
            " vs {} {reference_label}",
            with_unit(r, ind.decimals, &ind.unit)
        ),
        None => String::new(),
    }
}

/// A shrunk value's story, for its reason.
#[derive(Debug, Clone, Copy)]
struct Shrunk<'a> {
    /// The area's own value before shrinkage (display units).
    raw: f64,
    detail: ShrinkDetail,
    groups: &'a crate::kernel::leaves::ShrinkGroups,
}

/// Appends " (shrunk toward …; weight w on the area's own value v)" to a reason.
fn shrink_text(s: &mut String, sh: &Shrunk<'_>, prec: usize, unit: &str) {
    use std::fmt::Write as _;
    let g = sh.detail.group as usize;
    let code = sh.groups.code.get(g).cloned().flatten();
    let observed = sh.groups.observed.get(g).copied().flatten().is_some();
    let toward = sh.detail.toward;
    // Writing to a String cannot fail.
    let _ = match (code, observed) {
        (Some(c), true) => write!(
            s,
            " (shrunk toward the value observed in parent area {c}, {toward:.prec$} {unit}"
        ),
        (Some(c), false) => write!(
            s,
            " (shrunk toward the pooled value of parent area {c}, {toward:.prec$} {unit}"
        ),
        (None, _) if sh.groups.parents_given && sh.groups.code.len() > 1 => write!(
            s,
            " (shrunk toward the pooled value of the areas without a known parent area, {toward:.prec$} {unit}"
        ),
        (None, _) => write!(
            s,
            " (shrunk toward the pooled value of the areas scored, {toward:.prec$} {unit}"
        ),
    };
    let _ = write!(
        s,
        "; weight {:.2} on the area's own {:.prec$} {unit})",
        sh.detail.weight, sh.raw
    );
}

/// The plain-words reason for one indicator of one area. Built in one buffer: this runs once per
/// area and indicator.
fn reason(
    ind: &IndicatorSpec,
    leaf: &Leaf,
    a: usize,
    value: Option<f64>,
    excluded: bool,
    shrunk: Option<Shrunk<'_>>,
    ref_text: &str,
) -> String {
    use std::fmt::Write as _;
    if excluded {
        return format!("{}: area excluded from ranking", ind.label);
    }
    let (gap, reference, varies) = (leaf.gap(a), leaf.reference, leaf.varies);
    let prec = usize::from(ind.decimals);
    match (value, gap) {
        (Some(v), _) => {
            let mut s = String::with_capacity(ind.label.len() + ref_text.len() + 24);
            // Writing to a String cannot fail.
            let _ = write!(s, "{} {v:.prec$} {}", ind.label, ind.unit);
            if let Some(sh) = shrunk {
                shrink_text(&mut s, &sh, prec, &ind.unit);
            }
            s.push_str(ref_text);
            if let Some(r) = reference
                && r > 0.0
                && v >= 0.0
            {
                let _ = write!(s, " ({:.1}×)", v / r);
            }
            if !varies {
                s.push_str(
                    "; no variation between areas, so it does not separate them (contribution 0)",
                );
            }
            s
        }
        (None, Some(Gap::ZeroDenominator)) => format!(
            "{}: no persons at risk in this area; counted as average (contribution 0)",
            ind.label
        ),
        (None, Some(Gap::BelowMinimum(d))) => format!(
            "{}: based on {} persons, fewer than the minimum {}; counted as average (contribution 0)",
            ind.label,
            plain_number(d),
            plain_number(ind.min_denominator)
        ),
        (None, _) => format!(
            "{}: no data for this area; counted as average (contribution 0)",
            ind.label
        ),
    }
}

/// Exact decomposition of the score into per-indicator contributions (areas × indicators; each
/// row sums to the area's score).
///
/// The rules, applied from the indicators up to the score:
/// - an indicator's row is its value, all on that indicator;
/// - weighted sums (without rounding) and negation: the same linear combination of the inputs'
///   decompositions (exact; missing inputs count 0, as in the score);
/// - every other step y = f(inputs): y is shared in proportion to each indicator's part of the
///   step's linear pre-value P (the input for one-input steps, Σ w·x for a rounded weighted sum,
///   Σ x for rule steps): `c_k = y·C_k/P`. When P = 0, y is split equally among the indicators
///   with a value that feed the step. Shares of a pre-value with mixed signs can exceed y in
///   size; they still sum to y.
///
/// Every rule is linear in the inputs' decompositions with per-area coefficients, so the score's
/// decomposition is computed in one reverse pass (adjoints: the coefficient from each node to the
/// score), O(nodes × areas) instead of O(nodes × areas × indicators).
pub(crate) fn decompose(plan: &Plan, m: &Array2<f64>, prep: &Prepared) -> Array2<f64> {
    let (n, l) = (prep.n, plan.leaves);
    let nodes = plan.names.len();
    let mut g = Array2::<f64>::zeros((nodes, n));
    let mut out = Array2::<f64>::zeros((n, l));
    g.row_mut(plan.score).fill(1.0);
    let mut feeding: Vec<usize> = Vec::with_capacity(l);
    for s in plan.steps.iter().rev() {
        let w_of = |j: usize| match &s.op {
            Op::WeightedSum { weights, .. } => weights[j],
            Op::Negate => -1.0,
            _ => 1.0,
        };
        for a in 0..n {
            let ga = g[[s.out, a]];
            let y = m[[s.out, a]];
            if ga == 0.0 || y.is_nan() {
                continue;
            }
            let mut pre = 0.0;
            for (j, &i) in s.inputs.iter().enumerate() {
                let x = m[[i, a]];
                if !x.is_nan() {
                    pre += w_of(j) * x;
                }
            }
            let scale = if s.op.is_linear() {
                1.0
            } else if pre != 0.0 {
                y / pre
            } else {
                feeding.clear();
                feeding.extend((0..l).filter(|&k| plan.ancestors[s.out][k] && !m[[k, a]].is_nan()));
                let share = y / feeding.len().max(1) as f64;
                for &k in &feeding {
                    out[[a, k]] += ga * share;
                }
                continue;
            };
            for (j, &i) in s.inputs.iter().enumerate() {
                if !m[[i, a]].is_nan() {
                    g[[i, a]] += ga * scale * w_of(j);
                }
            }
        }
    }
    for k in 0..l {
        for a in 0..n {
            let v = m[[k, a]];
            if !v.is_nan() {
                out[[a, k]] += g[[k, a]] * v;
            }
        }
    }
    out
}

/// Scores, ranks (1 = highest, ties by area code) and PHE deciles from the point matrix.
/// Scores, ranks and deciles of every area, in input order.
type Ranked = (Vec<Option<f64>>, Vec<Option<u32>>, Vec<Option<u8>>);

pub(crate) fn rank_point(plan: &Plan, m: &Array2<f64>, prep: &Prepared) -> Ranked {
    let row = m.row(plan.score);
    let scores: Vec<Option<f64>> = row.iter().map(|v| (!v.is_nan()).then_some(*v)).collect();
    let mut ranks = vec![0u32; prep.n];
    let mut rs = crate::transform::RankScratch::default();
    let score_row: Vec<f64> = row.to_vec();
    crate::kernel::rank_desc(
        &score_row,
        plan.score_decimals,
        &prep.code_order,
        &mut ranks,
        &mut rs,
    );
    let ranks: Vec<Option<u32>> = ranks.into_iter().map(|r| (r > 0).then_some(r)).collect();
    let deciles = transform::phe_quantiles(&scores, 10, true)
        .into_iter()
        .map(|d| d.and_then(|d| u8::try_from(d).ok()))
        .collect();
    (scores, ranks, deciles)
}

pub(crate) fn score_values(
    spec: &ModelSpec,
    input: ScoringInput<'_>,
) -> Result<super::ScoreValues, ModelError> {
    let prep = prepare(spec, input)?;
    let m = point_matrix(spec, &prep);
    let (score, rank, decile) = rank_point(&spec.plan, &m, &prep);
    Ok(super::ScoreValues {
        score,
        rank,
        decile,
    })
}

pub(crate) fn evaluate(
    spec: &ModelSpec,
    input: ScoringInput<'_>,
) -> Result<Evaluation, ModelError> {
    let prep = prepare(spec, input)?;
    let m = point_matrix(spec, &prep);
    let plan = &spec.plan;
    let dec = decompose(plan, &m, &prep);
    let codes = &input.table.area_codes;
    let l = plan.leaves;

    // Shrunk indicators: each area's raw (unshrunk) value, weight and target, for reasons.
    let mut scratch = ShrinkScratch::default();
    let details: Vec<Vec<Option<ShrinkDetail>>> = prep
        .leaves
        .iter()
        .map(|leaf| {
            let mut det = Vec::new();
            if leaf.shrink.is_some() {
                let mut row = ndarray::Array1::<f64>::zeros(prep.n);
                leaf.fill_point(
                    &mut row.view_mut(),
                    &prep.included,
                    &mut scratch,
                    Some(&mut det),
                );
            }
            det
        })
        .collect();
    let shrunk = |k: usize, a: usize| -> Option<Shrunk<'_>> {
        let leaf = &prep.leaves[k];
        let groups = leaf.shrink.as_ref()?;
        let detail = details[k].get(a).copied().flatten()?;
        Some(Shrunk {
            raw: leaf.kind.scale() * leaf.num[a] / leaf.den[a],
            detail,
            groups,
        })
    };

    let score_step = plan.steps.iter().find(|s| s.out == plan.score);
    let ref_texts: Vec<String> = spec
        .indicators
        .iter()
        .zip(&prep.leaves)
        .map(|(ind, leaf)| reference_text(ind, leaf.reference, &spec.reference_label))
        .collect();
    let mut rows = Vec::with_capacity(prep.n);
    for (a, code) in codes.iter().enumerate() {
        let y = m[[plan.score, a]];
        let scored = !y.is_nan();
        let excluded = !prep.included[a];
        let mut contributions = Vec::with_capacity(l);
        let ref_texts = &ref_texts;
        for (k, ind) in spec.indicators.iter().enumerate() {
            let v = m[[k, a]];
            let value = (!v.is_nan()).then_some(v);
            let leaf = &prep.leaves[k];
            contributions.push(Contribution {
                indicator: ind.id.clone(),
                label: ind.label.clone(),
                value,
                reference: leaf.reference,
                contribution: if scored { dec[[a, k]] } else { 0.0 },
                reason: reason(ind, leaf, a, value, excluded, shrunk(k, a), &ref_texts[k]),
            });
        }
        contributions.sort_by(|x, y| {
            y.contribution
                .abs()
                .total_cmp(&x.contribution.abs())
                .then_with(|| x.indicator.cmp(&y.indicator))
        });
        let feeding = &plan.ancestors[plan.score];
        let missing: Vec<&str> = (0..l)
            .filter(|&k| feeding[k] && m[[k, a]].is_nan())
            .map(|k| spec.indicators[k].label.as_str())
            .collect();
        let flat: Vec<&str> = (0..l)
            .filter(|&k| feeding[k] && !m[[k, a]].is_nan() && !prep.leaves[k].varies)
            .map(|k| spec.indicators[k].label.as_str())
            .collect();
        let mut notes: Vec<String> = Vec::new();
        if excluded {
            let col = spec.population_column.as_deref().unwrap_or("population");
            notes.push(format!("excluded from ranking: {col} is 0 or missing"));
        } else if !scored {
            match score_step.map(|s| (&s.op, s)) {
                Some((
                    Op::WeightedSum {
                        weights,
                        missing: Missing::AsZero { min_weight_share },
                        ..
                    },
                    s,
                )) => {
                    let total: f64 = weights.iter().map(|w| w.abs()).sum();
                    let share: f64 = s
                        .inputs
                        .iter()
                        .zip(weights)
                        .filter(|&(&i, _)| !m[[i, a]].is_nan())
                        .map(|(_, w)| w.abs() / total)
                        .sum();
                    notes.push(format!(
                        "not scored: indicators with data carry {:.0} % of the model weight, the model needs {:.0} %; missing: {}",
                        100.0 * share,
                        100.0 * min_weight_share,
                        missing.join(", ")
                    ));
                }
                _ if !missing.is_empty() => notes.push(format!(
                    "not scored: no usable data for {}",
                    missing.join(", ")
                )),
                _ => notes.push(
                    "not scored: the score could not be computed from the available values"
                        .to_owned(),
                ),
            }
        } else if !missing.is_empty() {
            notes.push(format!(
                "scored without {} (no usable data; counted as average, contribution 0)",
                missing.join(", ")
            ));
        }
        if scored && !flat.is_empty() {
            notes.push(format!(
                "{} do not vary between areas (contribution 0)",
                flat.join(", ")
            ));
        }
        rows.push(AreaScore {
            area_code: code.clone(),
            score: scored.then_some(y),
            rank: None,
            decile: None,
            contributions,
            note: (!notes.is_empty()).then(|| notes.join("; ")),
        });
    }
    let (_, ranks, deciles) = rank_point(plan, &m, &prep);
    for ((row, r), d) in rows.iter_mut().zip(ranks).zip(deciles) {
        row.rank = r;
        row.decile = d;
    }
    let columns = plan
        .outputs
        .iter()
        .map(|&o| OutputColumn {
            name: plan.names[o].clone(),
            values: m
                .row(o)
                .iter()
                .map(|v| (!v.is_nan()).then_some(*v))
                .collect(),
        })
        .collect();
    Ok(Evaluation {
        scores: ScoreTable { rows },
        columns,
    })
}

#[cfg(test)]
mod tests {
    use super::super::{IndicatorColumn, IndicatorTable, ParentLevel, ParentValue};
    use super::*;

    fn model(shrinkage: &str) -> ModelSpec {
        ModelSpec::from_toml("t.toml", &model_text(shrinkage)).unwrap()
    }

    fn model_text(shrinkage: &str) -> String {
        format!(
            r#"[model]
name = "t"
version = "1"
title = "T"
description = "Test."
levels = ["parish"]
score = "total"

[[indicators]]
id = "a"
label = "Smoking"
unit = "%"
kind = "proportion"
direction = "higher_is_worse"
domain = "d"
min_denominator = 1
shrinkage = "{shrinkage}"

[[steps]]
name = "total"
op = "weighted_sum"
inputs = ["a"]
weights = [1]
"#
        )
    }

    /// Parishes A, B in municipality 101 and C, D in 102 (C's value observed at 102 as well).
    fn table() -> (IndicatorTable, ParentLevel) {
        let t = IndicatorTable {
            area_codes: ["A", "B", "C", "D", "E"].map(String::from).to_vec(),
            columns: vec![IndicatorColumn {
                indicator: "a".into(),
                numerator: vec![Some(10.0), Some(30.0), Some(5.0), Some(5.0), Some(7.0)],
                denominator: vec![Some(100.0), Some(100.0), Some(20.0), Some(80.0), Some(70.0)],
            }],
        };
        let p = ParentLevel {
            parent_codes: vec![
                Some("101".into()),
                Some("101".into()),
                Some("102".into()),
                Some("102".into()),
                None,
            ],
            observed: vec![ParentValue {
                parent_code: "102".into(),
                indicator: "a".into(),
                numerator: 120.0,
                denominator: 1000.0,
            }],
        };
        (t, p)
    }

    /// `shrinkage = "parent"` scores with the parents' values (A: 11.870406 %, hand-computed in
    /// `kernel::leaves`' known-answer test), says so in the reason with the weight, and without a
    /// parent level is the same as `"table"`.
    #[test]
    fn parent_shrinkage_in_scores_and_reasons() {
        let (t, p) = table();
        let parent = model("parent");
        let with = parent
            .score(ScoringInput::new(&t).with_parents(&p))
            .unwrap();
        let a = &with.rows[0].contributions[0];
        assert!((a.value.unwrap() - 11.870406014990126).abs() < 1e-9);
        assert!(
            a.reason
                .contains("shrunk toward the pooled value of parent area 101, 20.1 %")
                && a.reason.contains("weight 0.81 on the area's own 10.0 %"),
            "{}",
            a.reason
        );
        let c = &with.rows[2].contributions[0];
        assert!(
            c.reason
                .contains("shrunk toward the value observed in parent area 102, 12.0 %"),
            "{}",
            c.reason
        );
        let e = &with.rows[4].contributions[0];
        assert!(
            e.reason.contains(
                "shrunk toward the pooled value of the areas without a known parent area"
            ),
            "{}",
            e.reason
        );
        // Without parents: the table's pooled value, as `shrinkage = "table"`.
        let without = parent.score(&t).unwrap();
        let table_model = model("table").score(&t).unwrap();
        assert_eq!(without, table_model);
        assert!(
            without.rows[0].contributions[0]
                .reason
                .contains("shrunk toward the pooled value of the areas scored"),
            "{}",
            without.rows[0].contributions[0].reason
        );
        assert_ne!(with.rows[0].score, without.rows[0].score);
        // Monte Carlo draws run with the parent groups, deterministically.
        let input = ScoringInput::new(&t).with_parents(&p);
        let d1 = parent.score_with_draws(input, 50, 3).unwrap();
        let d2 = parent.score_with_draws(input, 50, 3).unwrap();
        assert_eq!(d1, d2);
        assert_eq!(d1.scores, with);
    }

    /// Parent codes must match the areas; observed parent values must be proportions.
    #[test]
    fn parent_level_errors() {
        let (t, mut p) = table();
        let m = model("parent");
        p.parent_codes.pop();
        let e = m.score(ScoringInput::new(&t).with_parents(&p)).unwrap_err();
        assert!(e.to_string().contains("parent_codes"), "{e}");
        let (t, mut p) = table();
        p.observed[0].numerator = 2000.0;
        let e = m.score(ScoringInput::new(&t).with_parents(&p)).unwrap_err();
        assert!(e.to_string().contains("102"), "{e}");
        let e = ModelSpec::from_toml("t.toml", &model_text("grandparent")).unwrap_err();
        assert!(
            e.to_string().contains("unknown shrinkage 'grandparent'"),
            "{e}"
        );
        assert!(ModelSpec::from_toml("t.toml", &model_text("parent")).is_ok());
    }
}
