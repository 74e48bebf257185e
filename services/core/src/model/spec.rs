//! Parsing and validation of model files (TOML) into [`ModelSpec`].
//!
//! Two stages, as in the project style guide: the text is first deserialised into `Raw*` structs
//! that mirror the file (every value wrapped in [`Spanned`] so that errors can name the line, and
//! `deny_unknown_fields` so that a misspelt key is an error, never silently ignored), then each
//! value is checked and converted into the validated types the kernel takes.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::{Direction, IndicatorKind, IndicatorSpec, ModelError, ModelSpec};
use crate::geo::Level;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    model: Spanned<RawHeader>,
    #[serde(default)]
    scoring: Option<Spanned<RawScoring>>,
    #[serde(default)]
    domains: Option<Spanned<BTreeMap<String, Spanned<RawDomain>>>>,
    indicators: Spanned<Vec<Spanned<RawIndicator>>>,
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
    weight: Spanned<f64>,
    domain: Spanned<String>,
    min_denominator: Spanned<f64>,
    #[serde(default)]
    decimals: Option<Spanned<i64>>,
    #[serde(default)]
    source: Option<Spanned<String>>,
    #[serde(default)]
    rationale: Option<Spanned<String>>,
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
        let offset = offset.min(self.text.len());
        // Step back to a char boundary so slicing cannot panic on odd offsets.
        let mut o = offset;
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

fn is_identifier(s: &str, extra: char) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == extra)
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

fn validate(cx: &Ctx<'_>, raw: RawFile) -> Result<ModelSpec, ModelError> {
    let header = raw.model.into_inner();
    let name = non_empty(cx, "model.name", &header.name)?;
    if !is_identifier(&name, '-') {
        return Err(cx.invalid(
            "model.name",
            &header.name,
            format!("'{name}' must be lowercase letters, digits and '-', starting with a letter"),
        ));
    }
    let version = non_empty(cx, "model.version", &header.version)?;
    if !version
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
    {
        return Err(cx.invalid(
            "model.version",
            &header.version,
            format!("'{version}' is not a version such as 0.1.0"),
        ));
    }
    let title = non_empty(cx, "model.title", &header.title)?;
    if title.contains('\n') {
        return Err(cx.invalid("model.title", &header.title, "must be one line"));
    }
    let description = non_empty(cx, "model.description", &header.description)?;

    let mut levels: Vec<Level> = Vec::new();
    if header.levels.get_ref().is_empty() {
        return Err(cx.invalid(
            "model.levels",
            &header.levels,
            "must name at least one level",
        ));
    }
    for l in header.levels.get_ref() {
        let level: Level = l
            .get_ref()
            .parse()
            .map_err(|e: crate::geo::UnknownLevel| cx.invalid("model.levels", l, e.to_string()))?;
        if levels.contains(&level) {
            return Err(cx.invalid("model.levels", l, format!("level '{level}' listed twice")));
        }
        levels.push(level);
    }

    let reference_label = match &header.reference_label {
        Some(r) => non_empty(cx, "model.reference_label", r)?,
        None => DEFAULT_REFERENCE_LABEL.to_owned(),
    };
    let min_weight_share = match &header.min_weight_share {
        Some(s) => {
            let v = *s.get_ref();
            if !(v.is_finite() && v > 0.0 && v <= 1.0) {
                return Err(cx.invalid(
                    "model.min_weight_share",
                    s,
                    format!("must be in (0, 1] (got {v})"),
                ));
            }
            v
        }
        None => DEFAULT_MIN_WEIGHT_SHARE,
    };

    if let Some(scoring) = &raw.scoring {
        let s = scoring.get_ref();
        if let Some(n) = &s.normalisation
            && n.get_ref() != "z_score"
        {
            return Err(cx.invalid(
                "scoring.normalisation",
                n,
                format!(
                    "unknown normalisation '{}': this model format supports 'z_score'",
                    n.get_ref()
                ),
            ));
        }
        if let Some(c) = &s.combination
            && c.get_ref() != "weighted_sum"
        {
            return Err(cx.invalid(
                "scoring.combination",
                c,
                format!(
                    "unknown combination '{}': this model format supports 'weighted_sum'",
                    c.get_ref()
                ),
            ));
        }
    }

    let mut domains: Vec<(String, String)> = Vec::new();
    if let Some(ds) = &raw.domains {
        for (id, d) in ds.get_ref() {
            if !is_identifier(id, '_') {
                return Err(cx.invalid(
                    format!("domains.{id}"),
                    d,
                    "domain ids are lowercase letters, digits and '_'",
                ));
            }
            let label = non_empty(cx, &format!("domains.{id}.label"), &d.get_ref().label)?;
            if let Some(desc) = &d.get_ref().description {
                non_empty(cx, &format!("domains.{id}.description"), desc)?;
            }
            domains.push((id.clone(), label));
        }
    }

    let raw_indicators = raw.indicators;
    if raw_indicators.get_ref().is_empty() {
        return Err(cx.invalid(
            "indicators",
            &raw_indicators,
            "a model needs at least one indicator",
        ));
    }
    let mut indicators: Vec<IndicatorSpec> = Vec::new();
    for (i, ri) in raw_indicators.get_ref().iter().enumerate() {
        let ri = ri.get_ref();
        let id = non_empty(cx, &format!("indicators[{i}].id"), &ri.id)?;
        if !is_identifier(&id, '_') {
            return Err(cx.invalid(
                format!("indicators[{i}].id"),
                &ri.id,
                format!("'{id}' must be lowercase letters, digits and '_', starting with a letter"),
            ));
        }
        if indicators.iter().any(|x| x.id == id) {
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
        let weight = *ri.weight.get_ref();
        if !(weight.is_finite() && weight > 0.0) {
            return Err(cx.invalid(
                key("weight"),
                &ri.weight,
                format!("weight must be a finite number > 0 (got {weight})"),
            ));
        }
        let domain = non_empty(cx, &key("domain"), &ri.domain)?;
        if raw.domains.is_some() && !domains.iter().any(|(d, _)| *d == domain) {
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
        if let Some(s) = &ri.source {
            non_empty(cx, &key("source"), s)?;
        }
        if let Some(s) = &ri.rationale {
            non_empty(cx, &key("rationale"), s)?;
        }
        indicators.push(IndicatorSpec {
            id,
            label,
            unit,
            kind,
            direction,
            weight,
            domain,
            min_denominator,
            decimals,
        });
    }

    Ok(ModelSpec {
        name,
        version,
        title,
        description,
        levels,
        indicators,
        reference_label,
        min_weight_share,
    })
}
