//! Deterministic scoring: evaluate the plan on the point estimates, rank, assign deciles, and
//! decompose the score exactly into indicator contributions with reasons in plain words.

use std::cmp::Ordering;

use ndarray::Array2;

use super::plan::{Missing, Op, Plan};
use super::{
    AreaScore, Contribution, Evaluation, IndicatorSpec, IndicatorTable, ModelError, ModelSpec,
    OutputColumn, ScoreTable,
};
use crate::kernel::leaves::{Gap, Leaf, Prepared, prepare};
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
    let mut buf = Vec::new();
    for (k, leaf) in prep.leaves.iter().enumerate() {
        leaf.fill_point(&mut m.row_mut(k), &prep.included, &mut buf);
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

/// The plain-words reason for one indicator of one area.
fn reason(
    ind: &IndicatorSpec,
    leaf: &Leaf,
    a: usize,
    value: Option<f64>,
    excluded: bool,
    raw: Option<f64>,
    reference_label: &str,
) -> String {
    if excluded {
        return format!("{}: area excluded from ranking", ind.label);
    }
    let (gap, reference, varies) = (leaf.gap[a], leaf.reference, leaf.varies);
    match (value, gap) {
        (Some(v), _) => {
            let mut s = format!("{} {}", ind.label, with_unit(v, ind.decimals, &ind.unit));
            if let Some(r) = raw {
                s.push_str(&format!(
                    " (shrunk toward the pooled value; {} before shrinkage)",
                    with_unit(r, ind.decimals, &ind.unit)
                ));
            }
            if let Some(r) = reference {
                s.push_str(&format!(
                    " vs {} {reference_label}",
                    with_unit(r, ind.decimals, &ind.unit)
                ));
                if r > 0.0 && v >= 0.0 {
                    s.push_str(&format!(" ({:.1}×)", v / r));
                }
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

/// Exact decomposition of every node that the score depends on into per-indicator
/// contributions: `dec[node]` is an areas × indicators matrix whose rows sum to the node's value.
///
/// - Indicator rows: the value itself, all on that indicator.
/// - Weighted sums (without rounding) and negation: the same linear combination of the inputs'
///   decompositions (exact; missing inputs count 0, as in the score).
/// - Every other step y = f(inputs): y is shared in proportion to each indicator's part of the
///   step's linear pre-value P (the input for one-input steps, Σ w·x for a rounded weighted sum,
///   Σ x for rule steps): `c_k = y·C_k/P`. When P = 0 the value is split equally among the
///   indicators with a value that feed the step. Shares of a pre-value with mixed signs can
///   exceed y in size; they still sum to y.
pub(crate) fn decompose(plan: &Plan, m: &Array2<f64>, prep: &Prepared) -> Array2<f64> {
    let (n, l) = (prep.n, plan.leaves);
    let nodes = plan.names.len();
    // Which nodes the score needs.
    let mut needed = vec![false; nodes];
    needed[plan.score] = true;
    for s in plan.steps.iter().rev() {
        if needed[s.out] {
            for &i in &s.inputs {
                needed[i] = true;
            }
        }
    }
    let mut dec: Vec<Option<Array2<f64>>> = vec![None; nodes];
    for k in 0..l {
        if needed[k] {
            let mut d = Array2::<f64>::zeros((n, l));
            for a in 0..n {
                let v = m[[k, a]];
                if !v.is_nan() {
                    d[[a, k]] = v;
                }
            }
            dec[k] = Some(d);
        }
    }
    for s in &plan.steps {
        if !needed[s.out] {
            continue;
        }
        let mut d = Array2::<f64>::zeros((n, l));
        let weights: Vec<f64> = match &s.op {
            Op::WeightedSum { weights, .. } => weights.clone(),
            Op::Negate => vec![-1.0],
            _ => vec![1.0; s.inputs.len()],
        };
        for a in 0..n {
            let y = m[[s.out, a]];
            if y.is_nan() {
                continue;
            }
            let mut pre = 0.0;
            let mut c = vec![0.0; l];
            for (j, &i) in s.inputs.iter().enumerate() {
                let x = m[[i, a]];
                if x.is_nan() {
                    continue;
                }
                let w = if s.op.is_linear() || matches!(s.op, Op::WeightedSum { .. }) {
                    weights[j]
                } else {
                    1.0
                };
                pre += w * x;
                if let Some(di) = &dec[i] {
                    for k in 0..l {
                        c[k] += w * di[[a, k]];
                    }
                }
            }
            if s.op.is_linear() {
                for k in 0..l {
                    d[[a, k]] = c[k];
                }
            } else if pre != 0.0 {
                for k in 0..l {
                    d[[a, k]] = y * c[k] / pre;
                }
            } else {
                let feeding: Vec<usize> = (0..l)
                    .filter(|&k| plan.ancestors[s.out][k] && !m[[k, a]].is_nan())
                    .collect();
                for &k in &feeding {
                    d[[a, k]] = y / feeding.len() as f64;
                }
            }
        }
        dec[s.out] = Some(d);
    }
    dec[plan.score]
        .take()
        .unwrap_or_else(|| Array2::zeros((n, l)))
}

pub(crate) fn evaluate(spec: &ModelSpec, input: &IndicatorTable) -> Result<Evaluation, ModelError> {
    let prep = prepare(spec, input)?;
    let m = point_matrix(spec, &prep);
    let plan = &spec.plan;
    let dec = decompose(plan, &m, &prep);
    let codes = &input.area_codes;
    let l = plan.leaves;

    // Raw (unshrunk) values for reasons of shrunk indicators.
    let raw_value = |k: usize, a: usize| -> Option<f64> {
        let leaf = &prep.leaves[k];
        if !leaf.shrink || leaf.gap[a].is_some() || !prep.included[a] {
            return None;
        }
        Some(leaf.kind.scale() * leaf.num[a] / leaf.den[a])
    };

    let score_step = plan.steps.iter().find(|s| s.out == plan.score);
    let mut rows = Vec::with_capacity(prep.n);
    for (a, code) in codes.iter().enumerate() {
        let y = m[[plan.score, a]];
        let scored = !y.is_nan();
        let excluded = !prep.included[a];
        let mut contributions = Vec::with_capacity(l);
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
                reason: reason(
                    ind,
                    leaf,
                    a,
                    value,
                    excluded,
                    raw_value(k, a),
                    &spec.reference_label,
                ),
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
    super::rerank(&mut rows);
    let scores: Vec<Option<f64>> = rows.iter().map(|r| r.score).collect();
    let deciles = transform::phe_quantiles(&scores, 10, true);
    for (row, d) in rows.iter_mut().zip(deciles) {
        row.decile = d.and_then(|d| u8::try_from(d).ok());
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
