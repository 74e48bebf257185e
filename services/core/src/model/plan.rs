//! The validated computation plan of a model: leaves (indicators) and derived steps in
//! topological order. Node `i` is row `i` of the kernel's value matrix; every step's inputs have
//! smaller indices than its output, which lets the kernel split the matrix into "read" and
//! "write" halves without copying.

use crate::transform::RankNormalForm;

/// Comparison of a flag step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cmp {
    Ge,
    Gt,
    Le,
    Lt,
}

impl Cmp {
    pub(crate) fn parse(s: &str) -> Option<Cmp> {
        match s {
            ">=" => Some(Cmp::Ge),
            ">" => Some(Cmp::Gt),
            "<=" => Some(Cmp::Le),
            "<" => Some(Cmp::Lt),
            _ => None,
        }
    }

    pub(crate) fn holds(self, x: f64, t: f64) -> bool {
        match self {
            Cmp::Ge => x >= t,
            Cmp::Gt => x > t,
            Cmp::Le => x <= t,
            Cmp::Lt => x < t,
        }
    }
}

/// How a weighted sum treats a missing input.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Missing {
    /// Any missing input makes the sum missing (CDC SVI: a −999 makes the theme −999).
    Propagate,
    /// A missing input counts 0; the sum is missing when the present inputs carry less than
    /// `min_weight_share` of the total weight (rm-health-inequality).
    AsZero { min_weight_share: f64 },
}

/// One operation. Normalisations (percent rank, rank-normal, z-score, min–max, exponential
/// transform) apply to `−x` when the input is oriented "higher is better", so their output is
/// always oriented "higher = more need".
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Op {
    Round {
        decimals: u32,
    },
    PercentRank {
        input_decimals: Option<u32>,
        decimals: Option<u32>,
    },
    RankNormal {
        form: RankNormalForm,
    },
    ZScore,
    MinMax,
    Invert,
    Negate,
    /// `from_rank`: the input is already a rank with 1 = most deprived, and R = (N − rank + 1)/N
    /// with N = `n` or the number of values.
    ExpTransform {
        constant: f64,
        from_rank: bool,
        n: Option<u32>,
    },
    WeightedSum {
        weights: Vec<f64>,
        missing: Missing,
        decimals: Option<u32>,
    },
    Flag {
        cmp: Cmp,
        threshold: f64,
    },
    AtLeast {
        k: u32,
    },
    All,
}

impl Op {
    /// Whether the op is a normalisation that flips "higher is better" inputs.
    pub(crate) fn orients(&self) -> bool {
        matches!(
            self,
            Op::PercentRank { .. }
                | Op::RankNormal { .. }
                | Op::ZScore
                | Op::MinMax
                | Op::ExpTransform {
                    from_rank: false,
                    ..
                }
        )
    }

    /// Whether the output is an exact linear combination of the inputs (for explanations).
    pub(crate) fn is_linear(&self) -> bool {
        matches!(self, Op::WeightedSum { decimals: None, .. } | Op::Negate)
    }
}

/// A derived node.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Step {
    /// Row written.
    pub(crate) out: usize,
    /// Rows read (all smaller than `out`).
    pub(crate) inputs: Vec<usize>,
    pub(crate) op: Op,
    /// Whether the (single) input is oriented "higher is better" (normalisations then flip it).
    pub(crate) flip: bool,
    /// Decimals the (single) input is known to be rounded to: rank steps then rank integer keys,
    /// which is exact and lets the kernel rank by counting (set by `finish_plan`).
    pub(crate) key_decimals: Option<u32>,
}

/// The compiled plan.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Plan {
    /// Node names; the first `leaves` are the indicators in file order.
    pub(crate) names: Vec<String>,
    pub(crate) leaves: usize,
    /// Steps in evaluation order; `steps[i].out == leaves + i`.
    pub(crate) steps: Vec<Step>,
    /// The node ranked (higher = more need).
    pub(crate) score: usize,
    /// Nodes written as named output columns.
    pub(crate) outputs: Vec<usize>,
    /// For each node, which leaves it depends on.
    pub(crate) ancestors: Vec<Vec<bool>>,
    /// Decimals the score is rounded to, if any (for ranking by integer keys).
    pub(crate) score_decimals: Option<u32>,
}
