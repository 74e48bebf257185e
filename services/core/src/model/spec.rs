//! Parsing and validation of model files (TOML) into [`ModelSpec`].
//!
//! Two stages, as in the project style guide: the text is first deserialised into `Raw*` structs
//! that mirror the file (every value wrapped in [`Spanned`] so that errors can name the line, and
//! `deny_unknown_fields` so that a misspelt key is an error, never silently ignored), then each
//! value is checked and converted into the validated types the kernel takes: the indicators and
//! a [`Plan`] of derived steps in topological order (a cycle is an error).
//!
//! Two file formats compile into the same plan:
//! - the **shorthand** of `rm-health-inequality-v0`: `[scoring] normalisation = "z_score"`,
//!   `combination = "weighted_sum"` and a `weight` per indicator;
//! - the **general** format: `[[steps]]`, each a named node computed by one operation from
//!   indicators or earlier steps, `model.score` naming the node that is ranked and `[output]`
//!   naming the columns written (see `models/README.md`).

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::plan::{Cmp, Missing, Op, Plan, Step};
use super::{Direction, IndicatorKind, IndicatorSpec, LeafInput, ModelError, ModelSpec, Shrinkage};
use crate::geo::Level;
use crate::transform::{EXP_TRANSFORM_CONSTANT, RankNormalForm};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    model: Spanned<RawHeader>,
    #[serde(default)]
    scoring: Option<Spanned<RawScoring>>,
    #[serde(default)]
    domains: Option<Spanned<BTreeMap<String, Spanned<RawDomain>>>>,
    indicators: Spanned<Vec<Spanned<RawIndicator>>>,
    #[serde(default)]
    steps: Option<Spanned<Vec<Spanned<RawStep>>>>,
    #[serde(default)]
    output: Option<Spanned<RawOutput>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHeader {
    name: Spanned<String>,
    version: Spanned<String>,
    title: Spanned<String>,
    description: Spanned<String>,
    levels: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    reference_label: Option<Spanned<String>>,
    #[serde(default)]
    min_weight_share: Option<Spanned<f64>>,
    #[serde(default)]
    score: Option<Spanned<String>>,
    #[serde(default)]
    population: Option<Spanned<String>>,
    #[serde(default)]
    output_missing: Option<Spanned<f64>>,
    #[serde(default)]
    input_missing: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScoring {
    #[serde(default)]
    normalisation: Option<Spanned<String>>,
    #[serde(default)]
    combination: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDomain {
    label: Spanned<String>,
    #[serde(default)]
    description: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIndicator {
    id: Spanned<String>,
    label: Spanned<String>,
    unit: Spanned<String>,
    kind: Spanned<String>,
    #[serde(default)]
    per: Option<Spanned<f64>>,
    direction: Spanned<String>,
    #[serde(default)]
    weight: Option<Spanned<f64>>,
    domain: Spanned<String>,
    min_denominator: Spanned<f64>,
    #[serde(default)]
    decimals: Option<Spanned<i64>>,
    #[serde(default)]
    source: Option<Spanned<String>>,
    #[serde(default)]
    rationale: Option<Spanned<String>>,
    #[serde(default)]
    column: Option<Spanned<String>>,
    #[serde(default)]
    denominator_column: Option<Spanned<String>>,
    #[serde(default)]
    se_column: Option<Spanned<String>>,
    #[serde(default)]
    se_divisor: Option<Spanned<f64>>,
    #[serde(default)]
    shrinkage: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    name: Spanned<String>,
    op: Spanned<String>,
    #[serde(default)]
    label: Option<Spanned<String>>,
    #[serde(default)]
    input: Option<Spanned<String>>,
    #[serde(default)]
    inputs: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    weights: Option<Spanned<Vec<Spanned<f64>>>>,
    #[serde(default)]
    missing: Option<Spanned<String>>,
    #[serde(default)]
    min_weight_share: Option<Spanned<f64>>,
    #[serde(default)]
    input_decimals: Option<Spanned<i64>>,
    #[serde(default)]
    decimals: Option<Spanned<i64>>,
    #[serde(default)]
    form: Option<Spanned<String>>,
    #[serde(default)]
    constant: Option<Spanned<f64>>,
    #[serde(default)]
    cmp: Option<Spanned<String>>,
    #[serde(default)]
    threshold: Option<Spanned<f64>>,
    #[serde(default)]
    k: Option<Spanned<i64>>,
    #[serde(default)]
    from_rank: Option<Spanned<bool>>,
    #[serde(default)]
    n: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOutput {
    columns: Spanned<Vec<Spanned<String>>>,
}

/// Default share of the model weight that must have data for an area to be scored.
pub(crate) const DEFAULT_MIN_WEIGHT_SHARE: f64 = 0.75;
/// Default wording of the reference in reasons.
pub(crate) const DEFAULT_REFERENCE_LABEL: &str = "in the region";

/// Maps byte offsets to 1-based (line, column).
struct Lines<'a> {
    text: &'a str,
}

impl Lines<'_> {
    fn line_col(&self, offset: usize) -> (usize, usize) {
        let mut o = offset.min(self.text.len());
        // Step back to a char boundary so slicing cannot panic on odd offsets.
        while !self.text.is_char_boundary(o) {
            o -= 1;
        }
        let before = &self.text[..o];
        let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |p| p + 1);
        let column = before[line_start..].chars().count() + 1;
        (line, column)
    }

    fn line(&self, offset: usize) -> usize {
        self.line_col(offset).0
    }

    /// The key written on the line containing `offset`, for `key = value` lines.
    fn key_on_line(&self, offset: usize) -> Option<String> {
        let (line, _) = self.line_col(offset);
        let text = self.text.lines().nth(line - 1)?;
        let (key, _) = text.split_once('=')?;
        let key = key.trim().trim_matches('"');
        let plain = !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.');
        plain.then(|| key.to_owned())
    }
}

/// Collects the context needed to build an [`ModelError::Invalid`].
struct Ctx<'a> {
    source_name: &'a str,
    lines: Lines<'a>,
}

impl Ctx<'_> {
    fn invalid<T>(
        &self,
        key: impl Into<String>,
        spanned: &Spanned<T>,
        message: impl Into<String>,
    ) -> ModelError {
        ModelError::Invalid {
            source_name: self.source_name.to_owned(),
            key: key.into(),
            line: self.lines.line(spanned.span().start),
            message: message.into(),
        }
    }
}

/// Lowercase identifier (model names with '-', domain ids with '_').
fn is_identifier(s: &str, extra: char) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == extra)
}

/// Node names (indicators, steps, columns): a letter, then letters, digits and '_'.
fn is_node_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

pub(crate) fn parse(source_name: &str, text: &str) -> Result<ModelSpec, ModelError> {
    let lines = Lines { text };
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        let (line, column) = lines.line_col(offset);
        let message = e.message().trim().replace('\n', " ");
        // serde names unknown and missing keys itself; for type errors the key is the one on the
        // offending line.
        let key = if message.contains("unknown field") || message.contains("missing field") {
            None
        } else {
            lines.key_on_line(offset)
        };
        ModelError::Parse {
            source_name: source_name.to_owned(),
            line,
            column,
            key,
            message,
        }
    })?;
    let cx = Ctx { source_name, lines };
    validate(&cx, raw)
}

fn non_empty(cx: &Ctx<'_>, key: &str, v: &Spanned<String>) -> Result<String, ModelError> {
    let s = v.get_ref().trim();
    if s.is_empty() {
        return Err(cx.invalid(key, v, "must not be empty"));
    }
    Ok(s.to_owned())
}

fn decimals(cx: &Ctx<'_>, key: &str, v: &Option<Spanned<i64>>) -> Result<Option<u32>, ModelError> {
    match v {
        Some(d) => {
            let x = *d.get_ref();
            if !(0..=12).contains(&x) {
                return Err(cx.invalid(key, d, format!("must be between 0 and 12 (got {x})")));
            }
            Ok(Some(x as u32))
        }
        None => Ok(None),
    }
}

fn share(cx: &Ctx<'_>, key: &str, s: &Spanned<f64>) -> Result<f64, ModelError> {
    let v = *s.get_ref();
    if !(v.is_finite() && v > 0.0 && v <= 1.0) {
        return Err(cx.invalid(key, s, format!("must be in (0, 1] (got {v})")));
    }
    Ok(v)
}

struct Header {
    name: String,
    version: String,
    title: String,
    description: String,
    levels: Vec<Level>,
    reference_label: String,
    min_weight_share: f64,
}

fn header(cx: &Ctx<'_>, h: &RawHeader) -> Result<Header, ModelError> {
    let name = non_empty(cx, "model.name", &h.name)?;
    if !is_identifier(&name, '-') {
        return Err(cx.invalid(
            "model.name",
            &h.name,
            format!("'{name}' must be lowercase letters, digits and '-', starting with a letter"),
        ));
    }
    let version = non_empty(cx, "model.version", &h.version)?;
    if !version
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
    {
        return Err(cx.invalid(
            "model.version",
            &h.version,
            format!("'{version}' is not a version such as 0.1.0"),
        ));
    }
    let title = non_empty(cx, "model.title", &h.title)?;
    if title.contains('\n') {
        return Err(cx.invalid("model.title", &h.title, "must be one line"));
    }
    let description = non_empty(cx, "model.description", &h.description)?;
    let mut levels: Vec<Level> = Vec::new();
    if h.levels.get_ref().is_empty() {
        return Err(cx.invalid("model.levels", &h.levels, "must name at least one level"));
    }
    for l in h.levels.get_ref() {
        let level: Level = l
            .get_ref()
            .parse()
            .map_err(|e: crate::geo::UnknownLevel| cx.invalid("model.levels", l, e.to_string()))?;
        if levels.contains(&level) {
            return Err(cx.invalid("model.levels", l, format!("level '{level}' listed twice")));
        }
        levels.push(level);
    }
    let reference_label = match &h.reference_label {
        Some(r) => non_empty(cx, "model.reference_label", r)?,
        None => DEFAULT_REFERENCE_LABEL.to_owned(),
    };
    let min_weight_share = match &h.min_weight_share {
        Some(s) => share(cx, "model.min_weight_share", s)?,
        None => DEFAULT_MIN_WEIGHT_SHARE,
    };
    Ok(Header {
        name,
        version,
        title,
        description,
        levels,
        reference_label,
        min_weight_share,
    })
}

fn validate(cx: &Ctx<'_>, raw: RawFile) -> Result<ModelSpec, ModelError> {
    let h = header(cx, raw.model.get_ref())?;
    let shorthand = raw.scoring.is_some() || raw.steps.is_none();
    if let (Some(sc), Some(_)) = (&raw.scoring, &raw.steps) {
        return Err(cx.invalid(
            "scoring",
            sc,
            "use either [scoring] (shorthand) or [[steps]], not both",
        ));
    }

    let mut domains: Vec<String> = Vec::new();
    if let Some(ds) = &raw.domains {
        for (id, d) in ds.get_ref() {
            if !is_identifier(id, '_') {
                return Err(cx.invalid(
                    format!("domains.{id}"),
                    d,
                    "domain ids are lowercase letters, digits and '_'",
                ));
            }
            non_empty(cx, &format!("domains.{id}.label"), &d.get_ref().label)?;
            if let Some(desc) = &d.get_ref().description {
                non_empty(cx, &format!("domains.{id}.description"), desc)?;
            }
            domains.push(id.clone());
        }
    }

    let (indicators, leaf_inputs) = indicators(cx, &raw, shorthand, &domains)?;
    let population_column = match &raw.model.get_ref().population {
        Some(p) => {
            let name = non_empty(cx, "model.population", p)?;
            if indicators.iter().any(|i| i.id == name) {
                return Err(cx.invalid("model.population", p, format!("'{name}' is an indicator; the population column must be a separate input column")));
            }
            Some(name)
        }
        None => None,
    };
    let output_missing = raw
        .model
        .get_ref()
        .output_missing
        .as_ref()
        .map(|v| *v.get_ref());
    let input_missing = raw
        .model
        .get_ref()
        .input_missing
        .as_ref()
        .map(|v| *v.get_ref());

    let plan = if shorthand {
        if let Some(sc) = &raw.scoring {
            let s = sc.get_ref();
            if let Some(n) = &s.normalisation
                && n.get_ref() != "z_score"
            {
                return Err(cx.invalid(
                    "scoring.normalisation",
                    n,
                    format!("unknown normalisation '{}': the [scoring] shorthand supports 'z_score' (use [[steps]] for others)", n.get_ref()),
                ));
            }
            if let Some(c) = &s.combination
                && c.get_ref() != "weighted_sum"
            {
                return Err(cx.invalid(
                    "scoring.combination",
                    c,
                    format!("unknown combination '{}': the [scoring] shorthand supports 'weighted_sum' (use [[steps]] for others)", c.get_ref()),
                ));
            }
        }
        if let Some(o) = &raw.output {
            return Err(cx.invalid(
                "output",
                o,
                "[output] needs [[steps]]; the shorthand outputs only the score",
            ));
        }
        if let Some(s) = &raw.model.get_ref().score {
            return Err(cx.invalid(
                "model.score",
                s,
                "model.score needs [[steps]]; the shorthand's score is the weighted sum",
            ));
        }
        shorthand_plan(&indicators, h.min_weight_share)
    } else if let Some(steps) = &raw.steps {
        general_plan(cx, &raw, steps, &indicators)?
    } else {
        shorthand_plan(&indicators, h.min_weight_share)
    };

    Ok(ModelSpec {
        name: h.name,
        version: h.version,
        title: h.title,
        description: h.description,
        levels: h.levels,
        indicators,
        reference_label: h.reference_label,
        min_weight_share: h.min_weight_share,
        leaf_inputs,
        plan,
        population_column,
        output_missing,
        input_missing,
    })
}

fn indicators(
    cx: &Ctx<'_>,
    raw: &RawFile,
    shorthand: bool,
    domains: &[String],
) -> Result<(Vec<IndicatorSpec>, Vec<LeafInput>), ModelError> {
    let raw_indicators = &raw.indicators;
    if raw_indicators.get_ref().is_empty() {
        return Err(cx.invalid(
            "indicators",
            raw_indicators,
            "a model needs at least one indicator",
        ));
    }
    let mut out: Vec<IndicatorSpec> = Vec::new();
    let mut inputs: Vec<LeafInput> = Vec::new();
    for (i, ri) in raw_indicators.get_ref().iter().enumerate() {
        let ri = ri.get_ref();
        let id = non_empty(cx, &format!("indicators[{i}].id"), &ri.id)?;
        if !is_node_name(&id) {
            return Err(cx.invalid(
                format!("indicators[{i}].id"),
                &ri.id,
                format!("'{id}' must be letters, digits and '_', starting with a letter"),
            ));
        }
        if out.iter().any(|x| x.id == id) {
            return Err(cx.invalid(
                format!("indicators[{i}].id"),
                &ri.id,
                format!("indicator '{id}' is declared twice"),
            ));
        }
        let key = |k: &str| format!("indicators.{id}.{k}");
        let label = non_empty(cx, &key("label"), &ri.label)?;
        let unit = non_empty(cx, &key("unit"), &ri.unit)?;
        let kind = match ri.kind.get_ref().as_str() {
            "proportion" => IndicatorKind::Proportion,
            "rate" => {
                let per = ri.per.as_ref().ok_or_else(|| {
                    cx.invalid(key("per"), &ri.kind, "a rate needs 'per' (e.g. per = 1000)")
                })?;
                let p = *per.get_ref();
                if !(p.is_finite() && p > 0.0) {
                    return Err(cx.invalid(
                        key("per"),
                        per,
                        format!("must be a finite number > 0 (got {p})"),
                    ));
                }
                IndicatorKind::Rate { per: p }
            }
            "count" => IndicatorKind::Count,
            "value" => IndicatorKind::Value,
            other => {
                return Err(cx.invalid(
                    key("kind"),
                    &ri.kind,
                    format!("unknown kind '{other}': expected proportion, rate, count or value"),
                ));
            }
        };
        if let (Some(per), false) = (&ri.per, matches!(kind, IndicatorKind::Rate { .. })) {
            return Err(cx.invalid(key("per"), per, "'per' applies only to kind = \"rate\""));
        }
        let direction = match ri.direction.get_ref().as_str() {
            "higher_is_worse" => Direction::HigherIsWorse,
            "higher_is_better" => Direction::HigherIsBetter,
            other => {
                return Err(cx.invalid(
                    key("direction"),
                    &ri.direction,
                    format!(
                        "unknown direction '{other}': expected higher_is_worse or higher_is_better"
                    ),
                ));
            }
        };
        let weight = match &ri.weight {
            Some(w) => {
                let v = *w.get_ref();
                if !(v.is_finite() && v > 0.0) {
                    return Err(cx.invalid(
                        key("weight"),
                        w,
                        format!("weight must be a finite number > 0 (got {v})"),
                    ));
                }
                v
            }
            None if shorthand => {
                return Err(cx.invalid(
                    key("weight"),
                    &ri.id,
                    "the [scoring] shorthand needs a weight for every indicator",
                ));
            }
            None => 1.0,
        };
        let domain = non_empty(cx, &key("domain"), &ri.domain)?;
        if raw.domains.is_some() && !domains.contains(&domain) {
            return Err(cx.invalid(
                key("domain"),
                &ri.domain,
                format!("unknown domain '{domain}': declare it under [domains.{domain}]"),
            ));
        }
        let min_denominator = *ri.min_denominator.get_ref();
        if !(min_denominator.is_finite() && min_denominator >= 0.0) {
            return Err(cx.invalid(
                key("min_denominator"),
                &ri.min_denominator,
                format!("must be a finite number >= 0 (got {min_denominator})"),
            ));
        }
        let decimals = match &ri.decimals {
            Some(d) => {
                let v = *d.get_ref();
                if !(0..=6).contains(&v) {
                    return Err(cx.invalid(
                        key("decimals"),
                        d,
                        format!("must be between 0 and 6 (got {v})"),
                    ));
                }
                v as u8
            }
            None => 1,
        };
        for (k, v) in [("source", &ri.source), ("rationale", &ri.rationale)] {
            if let Some(s) = v {
                non_empty(cx, &key(k), s)?;
            }
        }
        let column = match &ri.column {
            Some(c) => non_empty(cx, &key("column"), c)?,
            None if kind.uses_denominator() => format!("{id}_numerator"),
            None => id.clone(),
        };
        let denominator_column = match (&ri.denominator_column, kind.uses_denominator()) {
            (Some(c), _) => Some(non_empty(cx, &key("denominator_column"), c)?),
            (None, true) => Some(format!("{id}_denominator")),
            (None, false) => None,
        };
        let se_column = match &ri.se_column {
            Some(c) => Some(non_empty(cx, &key("se_column"), c)?),
            None => None,
        };
        let se_divisor = match &ri.se_divisor {
            Some(d) => {
                let v = *d.get_ref();
                if se_column.is_none() {
                    return Err(cx.invalid(key("se_divisor"), d, "se_divisor needs se_column"));
                }
                if !(v.is_finite() && v > 0.0) {
                    return Err(cx.invalid(
                        key("se_divisor"),
                        d,
                        format!("must be a finite number > 0 (got {v})"),
                    ));
                }
                v
            }
            None => 1.0,
        };
        let shrink = match &ri.shrinkage {
            Some(s) => {
                let kind_of = match s.get_ref().as_str() {
                    "table" => Shrinkage::Table,
                    "parent" => Shrinkage::Parent,
                    other => {
                        return Err(cx.invalid(
                            key("shrinkage"),
                            s,
                            format!(
                                "unknown shrinkage '{other}': expected \"table\" (toward the pooled value of all areas scored) or \"parent\" (toward each area's parent area)"
                            ),
                        ));
                    }
                };
                if kind != IndicatorKind::Proportion {
                    return Err(cx.invalid(
                        key("shrinkage"),
                        s,
                        "shrinkage applies to proportions",
                    ));
                }
                Some(kind_of)
            }
            None => None,
        };
        out.push(IndicatorSpec {
            id: id.clone(),
            label,
            unit,
            kind,
            direction,
            weight,
            domain,
            min_denominator,
            decimals,
        });
        inputs.push(LeafInput {
            column,
            denominator_column,
            se_column,
            se_divisor,
            shrink,
        });
    }
    Ok((out, inputs))
}

/// The shorthand: z-score every indicator (oriented by its direction), then a weighted sum with
/// missing values counted as 0 and the model's minimum weight share.
fn shorthand_plan(indicators: &[IndicatorSpec], min_weight_share: f64) -> Plan {
    let leaves = indicators.len();
    let mut names: Vec<String> = indicators.iter().map(|i| i.id.clone()).collect();
    let mut steps = Vec::new();
    for (k, ind) in indicators.iter().enumerate() {
        names.push(format!("z_{}", ind.id));
        steps.push(Step {
            out: leaves + k,
            inputs: vec![k],
            op: Op::ZScore,
            flip: ind.direction == Direction::HigherIsBetter,
            key_decimals: None,
        });
    }
    let total: f64 = indicators.iter().map(|i| i.weight).sum();
    names.push("score".to_owned());
    steps.push(Step {
        out: 2 * leaves,
        inputs: (leaves..2 * leaves).collect(),
        op: Op::WeightedSum {
            weights: indicators.iter().map(|i| i.weight / total).collect(),
            missing: Missing::AsZero { min_weight_share },
            decimals: None,
        },
        flip: false,
        key_decimals: None,
    });
    let score = 2 * leaves;
    finish_plan(names, leaves, steps, score, vec![score])
}

fn finish_plan(
    names: Vec<String>,
    leaves: usize,
    mut steps: Vec<Step>,
    score: usize,
    outputs: Vec<usize>,
) -> Plan {
    // Which nodes hold values rounded to a known number of decimals.
    let mut node_decimals: Vec<Option<u32>> = vec![None; leaves];
    for s in &mut steps {
        let input_d = if s.inputs.len() == 1 {
            node_decimals[s.inputs[0]]
        } else {
            None
        };
        s.key_decimals = match &s.op {
            Op::PercentRank { input_decimals, .. } => input_decimals.or(input_d),
            Op::RankNormal { .. }
            | Op::ExpTransform {
                from_rank: false, ..
            } => input_d,
            _ => None,
        };
        node_decimals.push(match &s.op {
            Op::Round { decimals } => Some(*decimals),
            Op::WeightedSum { decimals, .. } | Op::PercentRank { decimals, .. } => *decimals,
            _ => None,
        });
    }
    let mut ancestors: Vec<Vec<bool>> = (0..leaves)
        .map(|k| {
            let mut v = vec![false; leaves];
            v[k] = true;
            v
        })
        .collect();
    for s in &steps {
        let mut v = vec![false; leaves];
        for &i in &s.inputs {
            for (a, &b) in v.iter_mut().zip(&ancestors[i]) {
                *a |= b;
            }
        }
        ancestors.push(v);
    }
    Plan {
        names,
        leaves,
        steps,
        score,
        outputs,
        ancestors,
        score_decimals: node_decimals[score],
    }
}

/// A step after checking its keys, before ordering.
struct Pending<'r> {
    name: String,
    raw: &'r Spanned<RawStep>,
    inputs: Vec<(String, &'r Spanned<String>)>,
    op: Op,
}

fn general_plan(
    cx: &Ctx<'_>,
    raw: &RawFile,
    raw_steps: &Spanned<Vec<Spanned<RawStep>>>,
    indicators: &[IndicatorSpec],
) -> Result<Plan, ModelError> {
    let leaves = indicators.len();
    let mut pending: Vec<Pending<'_>> = Vec::new();
    for (i, rs) in raw_steps.get_ref().iter().enumerate() {
        let s = rs.get_ref();
        let name = non_empty(cx, &format!("steps[{i}].name"), &s.name)?;
        if !is_node_name(&name) {
            return Err(cx.invalid(
                format!("steps[{i}].name"),
                &s.name,
                format!("'{name}' must be letters, digits and '_', starting with a letter"),
            ));
        }
        if indicators.iter().any(|x| x.id == name) || pending.iter().any(|p| p.name == name) {
            return Err(cx.invalid(
                format!("steps[{i}].name"),
                &s.name,
                format!("'{name}' is already an indicator or a step"),
            ));
        }
        let key = |k: &str| format!("steps.{name}.{k}");
        if let Some(l) = &s.label {
            non_empty(cx, &key("label"), l)?;
        }
        let op_name = s.op.get_ref().as_str();
        let unary = matches!(
            op_name,
            "round"
                | "percent_rank"
                | "rank_normal"
                | "z_score"
                | "min_max"
                | "invert"
                | "negate"
                | "exp_transform"
                | "flag"
        );
        let multi = matches!(op_name, "weighted_sum" | "sum" | "at_least" | "all");
        if !unary && !multi {
            return Err(cx.invalid(
                key("op"),
                &s.op,
                format!(
                    "unknown op '{op_name}': expected round, percent_rank, rank_normal, z_score, min_max, invert, negate, \
                     exp_transform, flag, weighted_sum, sum, at_least or all"
                ),
            ));
        }
        let inputs: Vec<(String, &Spanned<String>)> = if unary {
            if let Some(x) = &s.inputs {
                return Err(cx.invalid(
                    key("inputs"),
                    x,
                    format!("op '{op_name}' takes one 'input', not 'inputs'"),
                ));
            }
            let input = s.input.as_ref().ok_or_else(|| {
                cx.invalid(key("input"), &s.op, format!("op '{op_name}' needs 'input'"))
            })?;
            vec![(input.get_ref().clone(), input)]
        } else {
            if let Some(x) = &s.input {
                return Err(cx.invalid(
                    key("input"),
                    x,
                    format!("op '{op_name}' takes 'inputs' (a list), not 'input'"),
                ));
            }
            let list = s.inputs.as_ref().ok_or_else(|| {
                cx.invalid(
                    key("inputs"),
                    &s.op,
                    format!("op '{op_name}' needs 'inputs'"),
                )
            })?;
            if list.get_ref().is_empty() {
                return Err(cx.invalid(key("inputs"), list, "must name at least one input"));
            }
            list.get_ref()
                .iter()
                .map(|x| (x.get_ref().clone(), x))
                .collect()
        };
        // Keys that only some ops take.
        let allowed: &[&str] = match op_name {
            "round" => &["decimals"],
            "percent_rank" => &["input_decimals", "decimals"],
            "rank_normal" => &["form"],
            "exp_transform" => &["constant", "from_rank", "n"],
            "weighted_sum" => &["weights", "missing", "min_weight_share", "decimals"],
            "sum" => &["missing", "min_weight_share", "decimals"],
            "flag" => &["cmp", "threshold"],
            "at_least" => &["k"],
            _ => &[],
        };
        let present: [(&str, Option<std::ops::Range<usize>>); 9] = [
            ("weights", s.weights.as_ref().map(|x| x.span())),
            ("missing", s.missing.as_ref().map(|x| x.span())),
            (
                "min_weight_share",
                s.min_weight_share.as_ref().map(|x| x.span()),
            ),
            (
                "input_decimals",
                s.input_decimals.as_ref().map(|x| x.span()),
            ),
            ("decimals", s.decimals.as_ref().map(|x| x.span())),
            ("form", s.form.as_ref().map(|x| x.span())),
            ("constant", s.constant.as_ref().map(|x| x.span())),
            ("cmp", s.cmp.as_ref().map(|x| x.span())),
            ("threshold", s.threshold.as_ref().map(|x| x.span())),
        ];
        for (k, span) in present {
            if let Some(span) = span
                && !allowed.contains(&k)
            {
                return Err(ModelError::Invalid {
                    source_name: cx.source_name.to_owned(),
                    key: key(k),
                    line: cx.lines.line(span.start),
                    message: format!("op '{op_name}' does not take '{k}'"),
                });
            }
        }
        if let Some(k) = &s.k
            && op_name != "at_least"
        {
            return Err(cx.invalid(key("k"), k, format!("op '{op_name}' does not take 'k'")));
        }
        if let Some(f) = &s.from_rank
            && op_name != "exp_transform"
        {
            return Err(cx.invalid(
                key("from_rank"),
                f,
                format!("op '{op_name}' does not take 'from_rank'"),
            ));
        }
        if let Some(x) = &s.n
            && op_name != "exp_transform"
        {
            return Err(cx.invalid(key("n"), x, format!("op '{op_name}' does not take 'n'")));
        }
        let op = match op_name {
            "round" => Op::Round {
                decimals: decimals(cx, &key("decimals"), &s.decimals)?.ok_or_else(|| {
                    cx.invalid(key("decimals"), &s.op, "op 'round' needs 'decimals'")
                })?,
            },
            "percent_rank" => Op::PercentRank {
                input_decimals: decimals(cx, &key("input_decimals"), &s.input_decimals)?,
                decimals: decimals(cx, &key("decimals"), &s.decimals)?,
            },
            "rank_normal" => Op::RankNormal {
                form: match s.form.as_ref().map(|f| (f.get_ref().as_str(), f)) {
                    None | Some(("iod", _)) => RankNormalForm::Iod,
                    Some(("simd", _)) => RankNormalForm::Simd,
                    Some((other, f)) => {
                        return Err(cx.invalid(key("form"), f, format!("unknown form '{other}': expected \"iod\" ((R-0.5)/N) or \"simd\" (R/(N+1))")));
                    }
                },
            },
            "z_score" => Op::ZScore,
            "min_max" => Op::MinMax,
            "invert" => Op::Invert,
            "negate" => Op::Negate,
            "exp_transform" => Op::ExpTransform {
                constant: match &s.constant {
                    Some(c) => {
                        let v = *c.get_ref();
                        if !(v.is_finite() && v > 0.0) {
                            return Err(cx.invalid(
                                key("constant"),
                                c,
                                format!("must be a finite number > 0 (got {v})"),
                            ));
                        }
                        v
                    }
                    None => EXP_TRANSFORM_CONSTANT,
                },
                from_rank: s.from_rank.as_ref().is_some_and(|f| *f.get_ref()),
                n: match &s.n {
                    Some(x) => {
                        let v = *x.get_ref();
                        if !s.from_rank.as_ref().is_some_and(|f| *f.get_ref()) {
                            return Err(cx.invalid(
                                key("n"),
                                x,
                                "'n' applies only with from_rank = true",
                            ));
                        }
                        if v < 1 || v > i64::from(u32::MAX) {
                            return Err(cx.invalid(
                                key("n"),
                                x,
                                format!("must be a positive number of areas (got {v})"),
                            ));
                        }
                        Some(v as u32)
                    }
                    None => None,
                },
            },
            "flag" => {
                let c = s.cmp.as_ref().ok_or_else(|| {
                    cx.invalid(key("cmp"), &s.op, "op 'flag' needs 'cmp' (>=, >, <=, <)")
                })?;
                let cmp = Cmp::parse(c.get_ref()).ok_or_else(|| {
                    cx.invalid(
                        key("cmp"),
                        c,
                        format!(
                            "unknown comparison '{}': expected >=, >, <= or <",
                            c.get_ref()
                        ),
                    )
                })?;
                let t = s.threshold.as_ref().ok_or_else(|| {
                    cx.invalid(key("threshold"), &s.op, "op 'flag' needs 'threshold'")
                })?;
                if !t.get_ref().is_finite() {
                    return Err(cx.invalid(key("threshold"), t, "must be a finite number"));
                }
                Op::Flag {
                    cmp,
                    threshold: *t.get_ref(),
                }
            }
            "at_least" => {
                let k =
                    s.k.as_ref()
                        .ok_or_else(|| cx.invalid(key("k"), &s.op, "op 'at_least' needs 'k'"))?;
                let v = *k.get_ref();
                if v < 1 || v as usize > inputs.len() {
                    return Err(cx.invalid(
                        key("k"),
                        k,
                        format!(
                            "must be between 1 and the number of inputs ({}) (got {v})",
                            inputs.len()
                        ),
                    ));
                }
                Op::AtLeast { k: v as u32 }
            }
            "all" => Op::All,
            _ => {
                // weighted_sum and sum
                let weights = if op_name == "sum" {
                    vec![1.0; inputs.len()]
                } else {
                    let w = s.weights.as_ref().ok_or_else(|| {
                        cx.invalid(key("weights"), &s.op, "op 'weighted_sum' needs 'weights'")
                    })?;
                    if w.get_ref().len() != inputs.len() {
                        return Err(cx.invalid(
                            key("weights"),
                            w,
                            format!(
                                "has {} weights for {} inputs",
                                w.get_ref().len(),
                                inputs.len()
                            ),
                        ));
                    }
                    let mut ws = Vec::new();
                    for x in w.get_ref() {
                        let v = *x.get_ref();
                        if !v.is_finite() || v == 0.0 {
                            return Err(cx.invalid(
                                key("weights"),
                                x,
                                format!("weights must be finite and non-zero (got {v})"),
                            ));
                        }
                        ws.push(v);
                    }
                    ws
                };
                let missing = match s.missing.as_ref().map(|m| (m.get_ref().as_str(), m)) {
                    None | Some(("propagate", _)) => {
                        if let Some(m) = &s.min_weight_share {
                            return Err(cx.invalid(
                                key("min_weight_share"),
                                m,
                                "min_weight_share applies only with missing = \"as_zero\"",
                            ));
                        }
                        Missing::Propagate
                    }
                    Some(("as_zero", _)) => Missing::AsZero {
                        min_weight_share: match &s.min_weight_share {
                            Some(m) => share(cx, &key("min_weight_share"), m)?,
                            None => DEFAULT_MIN_WEIGHT_SHARE,
                        },
                    },
                    Some((other, m)) => {
                        return Err(cx.invalid(
                            key("missing"),
                            m,
                            format!(
                                "unknown rule '{other}': expected \"propagate\" or \"as_zero\""
                            ),
                        ));
                    }
                };
                Op::WeightedSum {
                    weights,
                    missing,
                    decimals: decimals(cx, &key("decimals"), &s.decimals)?,
                }
            }
        };
        pending.push(Pending {
            name,
            raw: rs,
            inputs,
            op,
        });
    }

    // Resolve references and order the steps (Kahn's algorithm; leftovers form a cycle).
    let step_index = |n: &str| pending.iter().position(|p| p.name == n);
    for p in &pending {
        for (input, span) in &p.inputs {
            if !indicators.iter().any(|x| &x.id == input) && step_index(input).is_none() {
                return Err(cx.invalid(
                    format!("steps.{}.inputs", p.name),
                    *span,
                    format!("unknown indicator or step '{input}'"),
                ));
            }
        }
    }
    let mut done = vec![false; pending.len()];
    let mut order: Vec<usize> = Vec::new();
    loop {
        let mut progressed = false;
        for (i, p) in pending.iter().enumerate() {
            if done[i] {
                continue;
            }
            let ready = p
                .inputs
                .iter()
                .all(|(n, _)| step_index(n).is_none_or(|j| done[j]));
            if ready {
                done[i] = true;
                order.push(i);
                progressed = true;
            }
        }
        if !progressed {
            break;
        }
    }
    if let Some(i) = done.iter().position(|d| !d) {
        let p = &pending[i];
        return Err(cx.invalid(
            format!("steps.{}", p.name),
            &p.raw.get_ref().name,
            format!("step '{}' is part of a cycle (it depends, directly or through other steps, on itself)", p.name),
        ));
    }

    let mut names: Vec<String> = indicators.iter().map(|i| i.id.clone()).collect();
    let mut orientation: Vec<Direction> = indicators.iter().map(|i| i.direction).collect();
    let mut steps = Vec::new();
    for &i in &order {
        names.push(pending[i].name.clone());
    }
    let row = |n: &str| names.iter().position(|x| x == n);
    for (pos, &i) in order.iter().enumerate() {
        let p = &pending[i];
        let inputs: Vec<usize> = p.inputs.iter().filter_map(|(n, _)| row(n)).collect();
        let input_dir = if inputs.len() == 1 {
            orientation[inputs[0]]
        } else {
            Direction::HigherIsWorse
        };
        let flip = p.op.orients() && input_dir == Direction::HigherIsBetter;
        let out_dir = match p.op {
            Op::Round { .. } => input_dir,
            Op::Invert | Op::Negate => match input_dir {
                Direction::HigherIsWorse => Direction::HigherIsBetter,
                Direction::HigherIsBetter => Direction::HigherIsWorse,
            },
            _ => Direction::HigherIsWorse,
        };
        orientation.push(out_dir);
        steps.push(Step {
            out: leaves + pos,
            inputs,
            op: p.op.clone(),
            flip,
            key_decimals: None,
        });
    }

    let score = match &raw.model.get_ref().score {
        Some(s) => row(s.get_ref()).ok_or_else(|| {
            cx.invalid(
                "model.score",
                s,
                format!("unknown indicator or step '{}'", s.get_ref()),
            )
        })?,
        None => {
            return Err(cx.invalid(
                "model.score",
                &raw.model.get_ref().name,
                "a model with [[steps]] must name its score node (model.score)",
            ));
        }
    };
    let mut outputs = Vec::new();
    if let Some(o) = &raw.output {
        for c in o.get_ref().columns.get_ref() {
            let r = row(c.get_ref()).ok_or_else(|| {
                cx.invalid(
                    "output.columns",
                    c,
                    format!("unknown indicator or step '{}'", c.get_ref()),
                )
            })?;
            if outputs.contains(&r) {
                return Err(cx.invalid(
                    "output.columns",
                    c,
                    format!("'{}' listed twice", c.get_ref()),
                ));
            }
            outputs.push(r);
        }
    }
    Ok(finish_plan(names, leaves, steps, score, outputs))
}
