//! The indicator registry (`models/indicators.toml`): which indicators exist (labels, unit, kind,
//! direction, minimum denominator) and which StatBank table and variable selection yields which
//! indicator.
//!
//! The TOML is parsed into raw structs (unknown keys are errors), then validated into the typed
//! [`Registry`]; every validation error names the key, e.g.
//! `indicators.copd_prevalence.min_denominator: …` or `statbank[0].indicator: …`.
//!
//! A StatBank mapping takes one cell (`INDHOLD`) per row, so it can feed only `count` and `value`
//! indicators; proportions and rates come as numerator/denominator pairs in the long format.
//! Totals are never computed: a mapping's total (all ages, both sexes) is the row whose age code
//! is `IALT` and sex code `TOT` (or a variable eliminated from the export), never a sum of rows.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

/// The registry shipped in the repository (`models/indicators.toml`), compiled in.
pub const BUNDLED_REGISTRY: &str = include_str!("../../../models/indicators.toml");

/// The smallest allowed `min_denominator`: DST's disclosure rule forbids cells based on 1–4
/// persons (DANISH-DATA.md §5), so no indicator may be shown for fewer than 5.
pub const DISCLOSURE_FLOOR: u32 = 5;

/// An error in the registry file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// The file could not be read.
    #[error("{source_name}: cannot read: {message}")]
    Io {
        /// File name.
        source_name: String,
        /// The I/O error.
        message: String,
    },
    /// Not valid TOML, or a key of the wrong type or unknown.
    #[error("{source_name}: {message}")]
    Parse {
        /// File name.
        source_name: String,
        /// The TOML parser's message (names the key and position).
        message: String,
    },
    /// A value that is valid TOML but not a valid registry entry.
    #[error("{source_name}: {key}: {message}")]
    Invalid {
        /// File name.
        source_name: String,
        /// The offending key, e.g. `indicators.loneliness.kind`.
        key: String,
        /// What is wrong.
        message: String,
    },
}

/// What kind of number an indicator is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum IndicatorKind {
    /// numerator / denominator, shown in %; numerator ≤ denominator.
    Proportion,
    /// numerator / denominator × `per` (events may exceed persons).
    Rate {
        /// Multiplier, e.g. 1,000.
        per: u32,
    },
    /// A count of persons or events; no denominator.
    Count,
    /// A published value (mean, index, percentage of a reference); no denominator.
    Value,
}

impl IndicatorKind {
    /// `proportion`, `rate`, `count` or `value`.
    pub fn name(self) -> &'static str {
        match self {
            IndicatorKind::Proportion => "proportion",
            IndicatorKind::Rate { .. } => "rate",
            IndicatorKind::Count => "count",
            IndicatorKind::Value => "value",
        }
    }

    /// Whether the indicator is numerator / denominator.
    pub fn has_denominator(self) -> bool {
        matches!(self, IndicatorKind::Proportion | IndicatorKind::Rate { .. })
    }

    /// Whether values must be ≥ 0 (everything but `value`).
    pub fn non_negative(self) -> bool {
        !matches!(self, IndicatorKind::Value)
    }
}

/// Which way is "more need".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// A higher value means more need (most indicators).
    HigherIsWorse,
    /// A higher value means less need (e.g. income).
    HigherIsBetter,
    /// Not a need indicator (e.g. population).
    Neutral,
}

/// One indicator of the registry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndicatorDef {
    /// Id, e.g. `copd_prevalence`.
    pub id: String,
    /// Danish label.
    pub label_da: String,
    /// English label.
    pub label_en: String,
    /// Unit as shown to users, e.g. `%`, `per 1,000`, `persons`.
    pub unit: String,
    /// Kind of number.
    pub kind: IndicatorKind,
    /// Direction of need.
    pub direction: Direction,
    /// Smallest denominator for which a value is shown/used (proportions and rates only, ≥ 5).
    pub min_denominator: Option<u32>,
    /// What the numerator counts.
    pub numerator: String,
    /// What the denominator counts (proportions and rates only).
    pub denominator: Option<String>,
    /// Where the data come from.
    pub source: String,
}

/// How one StatBank table yields one indicator.
///
/// A row of the table belongs to the indicator when every `select` variable has the selected code
/// (a selected variable absent from the export counts as selected only when the selection is a
/// total code — StatBank eliminates an omitted variable by totalling it) and, if the export has a
/// content-type column, its text is one of `content_type`. The observation's area is the `area`
/// variable's code (or `area_when_eliminated` when the export omits it), its sex and age band come
/// from the `sex` and `age` variables (`TOT`/`IALT` ⇒ empty = total).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatbankMapping {
    /// Position in the file (`statbank[i]`), for messages.
    pub index: usize,
    /// Table id, e.g. `FOLK1A`.
    pub table: String,
    /// Indicator id.
    pub indicator: String,
    /// The area variable, e.g. `OMRÅDE`.
    pub area: String,
    /// Area code when the export eliminated the area variable (e.g. `000` = Hele landet).
    pub area_when_eliminated: Option<String>,
    /// The sex variable, e.g. `KØN`.
    pub sex: Option<String>,
    /// The age variable, e.g. `ALDER`.
    pub age: Option<String>,
    /// Fixed selections: variable → code.
    pub select: BTreeMap<String, String>,
    /// Accepted texts of the content-type column (`CONTENT_TYPE`/`INDHOLDSTYPE`), if any.
    pub content_type: Vec<String>,
}

impl StatbankMapping {
    /// The variables this mapping names (area, sex, age, selections).
    pub fn variables(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.area.as_str())
            .chain(self.sex.as_deref())
            .chain(self.age.as_deref())
            .chain(self.select.keys().map(String::as_str))
    }
}

/// The validated indicator registry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Registry {
    source_name: String,
    indicators: BTreeMap<String, IndicatorDef>,
    statbank: Vec<StatbankMapping>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRegistry {
    schema: u32,
    #[serde(default)]
    indicators: BTreeMap<String, RawIndicator>,
    #[serde(default)]
    statbank: Vec<RawMapping>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLabel {
    da: String,
    en: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIndicator {
    label: RawLabel,
    unit: String,
    kind: String,
    per: Option<u32>,
    direction: String,
    min_denominator: Option<u32>,
    numerator: String,
    denominator: Option<String>,
    source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMapping {
    table: String,
    indicator: String,
    area: String,
    area_when_eliminated: Option<String>,
    sex: Option<String>,
    age: Option<String>,
    #[serde(default)]
    select: BTreeMap<String, String>,
    content_type: Option<Vec<String>>,
    note: Option<String>,
}

/// Columns with a fixed meaning in every StatBank export.
pub(crate) const RESERVED_COLUMNS: [&str; 4] = ["TID", "INDHOLD", "CONTENT_TYPE", "INDHOLDSTYPE"];

fn is_id(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some('a'..='z'))
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn is_table_id(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

fn is_variable(s: &str) -> bool {
    !s.is_empty()
        && !s
            .chars()
            .any(|c| c.is_whitespace() || c == ';' || c == ',' || c == '"')
}

impl Registry {
    /// Parses and validates a registry from TOML text. `source_name` appears in errors.
    pub fn from_toml_str(text: &str, source_name: &str) -> Result<Registry, RegistryError> {
        let raw: RawRegistry = toml::from_str(text).map_err(|e| RegistryError::Parse {
            source_name: source_name.to_string(),
            message: e.to_string(),
        })?;
        let invalid = |key: String, message: String| RegistryError::Invalid {
            source_name: source_name.to_string(),
            key,
            message,
        };
        if raw.schema != 1 {
            return Err(invalid(
                "schema".into(),
                format!("unsupported schema {} (expected 1)", raw.schema),
            ));
        }
        let mut indicators = BTreeMap::new();
        for (id, r) in raw.indicators {
            let key = |field: &str| format!("indicators.{id}.{field}");
            if !is_id(&id) {
                return Err(invalid(
                    format!("indicators.{id}"),
                    "indicator ids are lowercase ASCII letters, digits and '_', starting with a letter".into(),
                ));
            }
            for (field, value) in [
                ("label.da", &r.label.da),
                ("label.en", &r.label.en),
                ("unit", &r.unit),
                ("numerator", &r.numerator),
                ("source", &r.source),
            ] {
                if value.trim().is_empty() {
                    return Err(invalid(key(field), "must not be empty".into()));
                }
            }
            let kind = match (r.kind.as_str(), r.per) {
                ("proportion", None) => IndicatorKind::Proportion,
                ("count", None) => IndicatorKind::Count,
                ("value", None) => IndicatorKind::Value,
                ("rate", Some(per)) if per > 0 => IndicatorKind::Rate { per },
                ("rate", Some(_)) => return Err(invalid(key("per"), "must be positive".into())),
                ("rate", None) => {
                    return Err(invalid(
                        key("per"),
                        "a rate needs `per` (e.g. 1000 for per 1,000)".into(),
                    ));
                }
                ("proportion" | "count" | "value", Some(_)) => {
                    return Err(invalid(
                        key("per"),
                        format!("only a rate has `per`, not a {}", r.kind),
                    ));
                }
                (other, _) => {
                    return Err(invalid(
                        key("kind"),
                        format!(
                            "unknown kind {other:?} (expected proportion, rate, count or value)"
                        ),
                    ));
                }
            };
            let direction = match r.direction.as_str() {
                "higher_is_worse" => Direction::HigherIsWorse,
                "higher_is_better" => Direction::HigherIsBetter,
                "neutral" => Direction::Neutral,
                other => {
                    return Err(invalid(
                        key("direction"),
                        format!(
                            "unknown direction {other:?} (expected higher_is_worse, higher_is_better or neutral)"
                        ),
                    ));
                }
            };
            if kind.has_denominator() {
                match r.min_denominator {
                    None => {
                        return Err(invalid(
                            key("min_denominator"),
                            format!("a {} needs a minimum denominator", kind.name()),
                        ));
                    }
                    Some(m) if m < DISCLOSURE_FLOOR => {
                        return Err(invalid(
                            key("min_denominator"),
                            format!(
                                "{m} is below the disclosure floor of {DISCLOSURE_FLOOR} persons"
                            ),
                        ));
                    }
                    Some(_) => {}
                }
                if r.denominator.as_deref().is_none_or(|d| d.trim().is_empty()) {
                    return Err(invalid(
                        key("denominator"),
                        format!("a {} needs a description of its denominator", kind.name()),
                    ));
                }
            } else {
                if r.min_denominator.is_some() {
                    return Err(invalid(
                        key("min_denominator"),
                        format!("a {} has no denominator", kind.name()),
                    ));
                }
                if r.denominator.is_some() {
                    return Err(invalid(
                        key("denominator"),
                        format!("a {} has no denominator", kind.name()),
                    ));
                }
            }
            indicators.insert(
                id.clone(),
                IndicatorDef {
                    id,
                    label_da: r.label.da,
                    label_en: r.label.en,
                    unit: r.unit,
                    kind,
                    direction,
                    min_denominator: r.min_denominator,
                    numerator: r.numerator,
                    denominator: r.denominator,
                    source: r.source,
                },
            );
        }

        let mut statbank = Vec::new();
        let mut seen = BTreeSet::new();
        for (i, m) in raw.statbank.into_iter().enumerate() {
            let key = |field: &str| format!("statbank[{i}].{field}");
            if !is_table_id(&m.table) {
                return Err(invalid(
                    key("table"),
                    format!("{:?} is not a StatBank table id (e.g. FOLK1A)", m.table),
                ));
            }
            let Some(def) = indicators.get(&m.indicator) else {
                return Err(invalid(
                    key("indicator"),
                    format!("unknown indicator {:?}", m.indicator),
                ));
            };
            if def.kind.has_denominator() {
                return Err(invalid(
                    key("indicator"),
                    format!(
                        "{} is a {}; a StatBank mapping yields one value per cell and can feed only count or value indicators",
                        m.indicator,
                        def.kind.name()
                    ),
                ));
            }
            let mut vars = BTreeSet::new();
            let named = [
                ("area", Some(&m.area)),
                ("sex", m.sex.as_ref()),
                ("age", m.age.as_ref()),
            ];
            for (field, var) in named {
                let Some(var) = var else { continue };
                if !is_variable(var) || RESERVED_COLUMNS.contains(&var.as_str()) {
                    return Err(invalid(
                        key(field),
                        format!("{var:?} is not a StatBank variable code"),
                    ));
                }
                if !vars.insert(var.clone()) {
                    return Err(invalid(
                        key(field),
                        format!("variable {var} is named twice"),
                    ));
                }
            }
            for (var, code) in &m.select {
                let k = key(&format!("select.{var}"));
                if !is_variable(var) || RESERVED_COLUMNS.contains(&var.as_str()) {
                    return Err(invalid(
                        k,
                        format!("{var:?} is not a selectable StatBank variable code"),
                    ));
                }
                if !vars.insert(var.clone()) {
                    return Err(invalid(k, format!("variable {var} is named twice")));
                }
                if code.trim().is_empty() || code.contains(char::is_whitespace) {
                    return Err(invalid(k, format!("{code:?} is not a code")));
                }
            }
            if let Some(a) = &m.area_when_eliminated
                && (a.is_empty() || !a.bytes().all(|b| b.is_ascii_digit()))
            {
                return Err(invalid(
                    key("area_when_eliminated"),
                    format!("{a:?} is not an area code (digits)"),
                ));
            }
            let content_type = m.content_type.unwrap_or_default();
            if content_type.iter().any(|t| t.trim().is_empty()) {
                return Err(invalid(
                    key("content_type"),
                    "texts must not be empty".into(),
                ));
            }
            if let Some(note) = &m.note
                && note.trim().is_empty()
            {
                return Err(invalid(key("note"), "must not be empty when given".into()));
            }
            let signature = format!(
                "{}|{}|{:?}|{:?}|{:?}|{:?}",
                m.table, m.indicator, m.area, m.sex, m.age, m.select
            );
            if !seen.insert(signature) {
                return Err(invalid(
                    key("table"),
                    "the same mapping appears twice".into(),
                ));
            }
            statbank.push(StatbankMapping {
                index: i,
                table: m.table,
                indicator: m.indicator,
                area: m.area,
                area_when_eliminated: m.area_when_eliminated,
                sex: m.sex,
                age: m.age,
                select: m.select,
                content_type,
            });
        }
        Ok(Registry {
            source_name: source_name.to_string(),
            indicators,
            statbank,
        })
    }

    /// Reads and validates a registry file.
    pub fn load(path: &Path) -> Result<Registry, RegistryError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| RegistryError::Io {
            source_name: name.clone(),
            message: e.to_string(),
        })?;
        Registry::from_toml_str(&text, &name)
    }

    /// The registry shipped with this build ([`BUNDLED_REGISTRY`]).
    pub fn bundled() -> Result<Registry, RegistryError> {
        Registry::from_toml_str(BUNDLED_REGISTRY, "models/indicators.toml")
    }

    /// The file name the registry was read from.
    pub fn source_name(&self) -> &str {
        &self.source_name
    }

    /// One indicator by id.
    pub fn indicator(&self, id: &str) -> Option<&IndicatorDef> {
        self.indicators.get(id)
    }

    /// All indicators, ordered by id.
    pub fn indicators(&self) -> impl Iterator<Item = &IndicatorDef> {
        self.indicators.values()
    }

    /// All StatBank mappings, in file order.
    pub fn statbank_mappings(&self) -> &[StatbankMapping] {
        &self.statbank
    }

    /// The StatBank tables that have mappings, sorted.
    pub fn statbank_tables(&self) -> BTreeSet<&str> {
        self.statbank.iter().map(|m| m.table.as_str()).collect()
    }
}
