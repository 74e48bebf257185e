//! StatBank CSV exports: header analysis (which registry mappings apply) and row reading in the
//! three presentations.
//!
//! Header: variable codes in table order, `TID` (anywhere), an optional content-type column
//! (`CONTENT_TYPE` or `INDHOLDSTYPE`) and `INDHOLD` last. Columns are handled by name, so
//! `TID;ALDER;KØN;INDHOLD` (the English FOLK1A export) and `OMRÅDE;KØN;ALDER;TID;INDHOLD` are both
//! fine.
//!
//! Presentation (unless given): decided once, from the first data row, by counting how many of its
//! cells (TID and the variables) read as a code, as a known text, and as `code text`; the largest
//! count wins (ties: Code, then Value). Every later row is read strictly in that presentation, so
//! a text in a Code export is an error, not a silent skip.

use std::collections::BTreeSet;

use lighed_core::obs::{MissingReason, Observation};

use crate::error::ErrorKind;
use crate::input::Row;
use crate::number::{NumberStyle, parse_number};
use crate::options::{Lang, Presentation};
use crate::period::canonical_period;
use crate::registry::{IndicatorKind, Registry, StatbankMapping};
use crate::vocab::{Domain, Vocabulary};

/// A header-level problem: (0-based column, value, kind).
pub(crate) type HeaderError = (usize, String, ErrorKind);

#[derive(Debug)]
struct DimCol {
    index: usize,
    name: String,
    domain: Domain,
}

#[derive(Debug)]
enum AreaSource {
    Dim(usize),
    Fixed(String),
}

/// A registry mapping bound to the columns of one export.
#[derive(Debug)]
struct Applied {
    indicator: String,
    kind: IndicatorKind,
    area: AreaSource,
    sex: Option<usize>,
    age: Option<usize>,
    select: Vec<(usize, String)>,
    content_type: Vec<String>,
}

/// What one row yielded.
pub(crate) enum RowOutcome {
    /// The row had errors (already reported).
    Error,
    /// The row is valid but no mapping selects it.
    Skipped,
    /// The row yielded observations (pushed to `out`).
    Produced,
}

/// The layout of one StatBank export.
#[derive(Debug)]
pub(crate) struct StatbankLayout {
    table: String,
    lang: Lang,
    vocab: &'static Vocabulary,
    dims: Vec<DimCol>,
    tid: usize,
    indhold: usize,
    content: Option<usize>,
    mappings: Vec<Applied>,
    presentation: Option<Presentation>,
}

fn is_total_code(vocab: &Vocabulary, var: &str, code: &str) -> bool {
    let domain = vocab.domain(var);
    match domain {
        Domain::Sex | Domain::Age => vocab
            .code_key(var, domain, code)
            .is_ok_and(|k| k.is_empty()),
        _ => code == "TOT" || code == "IALT",
    }
}

impl StatbankLayout {
    /// Analyses the header. `table` is the caller's table id, if any.
    pub(crate) fn new(
        header: &[String],
        table: Option<&str>,
        lang: Lang,
        presentation: Option<Presentation>,
        registry: &Registry,
        vocab: &'static Vocabulary,
    ) -> Result<StatbankLayout, Vec<HeaderError>> {
        let n = header.len();
        let last = header.last().map(String::as_str).unwrap_or("");
        if last != "INDHOLD" {
            return Err(vec![(
                n.saturating_sub(1),
                last.to_string(),
                ErrorKind::UnknownHeader {
                    expected:
                        "a StatBank header ends with INDHOLD (e.g. OMRÅDE;KØN;ALDER;TID;INDHOLD)"
                            .into(),
                },
            )]);
        }
        let mut errors = Vec::new();
        let mut seen = BTreeSet::new();
        let mut tid = None;
        let mut content = None;
        let mut dims = Vec::new();
        for (i, name) in header.iter().enumerate() {
            if !seen.insert(name.as_str()) {
                errors.push((i, name.clone(), ErrorKind::DuplicateColumn));
                continue;
            }
            match name.as_str() {
                "INDHOLD" => {}
                "TID" => tid = Some(i),
                "CONTENT_TYPE" | "INDHOLDSTYPE" => {
                    if content.is_some() {
                        errors.push((i, name.clone(), ErrorKind::DuplicateColumn));
                    }
                    content = Some(i);
                }
                _ if name.is_empty() || name.contains(char::is_whitespace) => errors.push((
                    i,
                    name.clone(),
                    ErrorKind::UnknownHeader {
                        expected: "a StatBank variable code (upper case, no spaces)".into(),
                    },
                )),
                _ => dims.push(DimCol {
                    index: i,
                    name: name.clone(),
                    domain: vocab.domain(name),
                }),
            }
        }
        let Some(tid) = tid else {
            errors.push((
                0,
                header.first().cloned().unwrap_or_default(),
                ErrorKind::UnknownHeader {
                    expected: "a StatBank header has a TID column".into(),
                },
            ));
            return Err(errors);
        };
        if !errors.is_empty() {
            return Err(errors);
        }

        let names: Vec<&str> = dims.iter().map(|d| d.name.as_str()).collect();
        let fit = |m: &StatbankMapping| -> Result<Applied, String> {
            Self::bind(m, &names, content.is_some(), registry, vocab)
        };
        let table_error = |kind: ErrorKind| vec![(0, header.join(";"), kind)];
        let (table, mappings) = match table {
            Some(t) => {
                let t = t.trim().to_ascii_uppercase();
                let candidates: Vec<&StatbankMapping> = registry
                    .statbank_mappings()
                    .iter()
                    .filter(|m| m.table == t)
                    .collect();
                if candidates.is_empty() {
                    return Err(table_error(ErrorKind::UnknownTable { table: t }));
                }
                let mut applied = Vec::new();
                let mut reasons = Vec::new();
                for m in candidates {
                    match fit(m) {
                        Ok(a) => applied.push(a),
                        Err(r) => {
                            reasons.push(format!("statbank[{}] ({}): {r}", m.index, m.indicator))
                        }
                    }
                }
                if applied.is_empty() {
                    return Err(table_error(ErrorKind::NoMapping {
                        table: t,
                        reason: reasons.join("; "),
                    }));
                }
                (t, applied)
            }
            None => {
                let mut fitting: Vec<(String, Vec<Applied>)> = Vec::new();
                for t in registry.statbank_tables() {
                    let applied: Vec<Applied> = registry
                        .statbank_mappings()
                        .iter()
                        .filter(|m| m.table == t)
                        .filter_map(|m| fit(m).ok())
                        .collect();
                    if !applied.is_empty() {
                        fitting.push((t.to_string(), applied));
                    }
                }
                if fitting.len() > 1 {
                    let tables: Vec<&str> = fitting.iter().map(|(t, _)| t.as_str()).collect();
                    return Err(table_error(ErrorKind::TableRequired {
                        reason: format!("the header fits several tables ({})", tables.join(", ")),
                    }));
                }
                match fitting.pop() {
                    Some(one) => one,
                    None => {
                        let tables: Vec<&str> = registry.statbank_tables().into_iter().collect();
                        return Err(table_error(ErrorKind::TableRequired {
                            reason: format!(
                                "no table mapped in the registry ({}) fits this header",
                                if tables.is_empty() {
                                    "none".to_string()
                                } else {
                                    tables.join(", ")
                                }
                            ),
                        }));
                    }
                }
            }
        };
        Ok(StatbankLayout {
            table,
            lang,
            vocab,
            dims,
            tid,
            indhold: n - 1,
            content,
            mappings,
            presentation,
        })
    }

    /// Binds a mapping to the header's variables, or says why it does not fit.
    fn bind(
        m: &StatbankMapping,
        names: &[&str],
        has_content: bool,
        registry: &Registry,
        vocab: &Vocabulary,
    ) -> Result<Applied, String> {
        let pos = |var: &str| names.iter().position(|n| *n == var);
        let used: Vec<&str> = m.variables().collect();
        if let Some(extra) = names.iter().find(|n| !used.contains(n)) {
            return Err(format!("column {extra} is not used by this mapping"));
        }
        if has_content && m.content_type.is_empty() {
            return Err(
                "the export has a content-type column but the mapping names no content_type".into(),
            );
        }
        let area = match (pos(&m.area), &m.area_when_eliminated) {
            (Some(i), _) => AreaSource::Dim(i),
            (None, Some(code)) => AreaSource::Fixed(code.clone()),
            (None, None) => {
                return Err(format!(
                    "the export has no {} column and the mapping names no area_when_eliminated",
                    m.area
                ));
            }
        };
        let mut select = Vec::new();
        for (var, code) in &m.select {
            match pos(var) {
                Some(i) => {
                    let key = vocab
                        .code_key(var, vocab.domain(var), code)
                        .map_err(|e| format!("selection {var}={code}: {e}"))?;
                    select.push((i, key));
                }
                None if is_total_code(vocab, var, code) => {}
                None => {
                    return Err(format!(
                        "{var}={code} is selected but the export has no {var} column (an omitted variable is its total)"
                    ));
                }
            }
        }
        let kind = registry
            .indicator(&m.indicator)
            .map(|d| d.kind)
            .ok_or_else(|| format!("unknown indicator {}", m.indicator))?;
        Ok(Applied {
            indicator: m.indicator.clone(),
            kind,
            area,
            sex: m.sex.as_deref().and_then(pos),
            age: m.age.as_deref().and_then(pos),
            select,
            content_type: m.content_type.clone(),
        })
    }

    /// The table id.
    pub(crate) fn table(&self) -> &str {
        &self.table
    }

    /// The presentation (known after the first row, or when given).
    pub(crate) fn presentation(&self) -> Option<Presentation> {
        self.presentation
    }

    fn period_as(&self, cell: &str, p: Presentation) -> Result<String, ErrorKind> {
        match p {
            Presentation::Code | Presentation::Value => canonical_period(cell)
                .map(|(c, _)| c)
                .map_err(|_| ErrorKind::InvalidPeriod),
            Presentation::CodeAndValue => {
                let (code, text) = cell.split_once(' ').unwrap_or((cell, ""));
                let (canonical, _) =
                    canonical_period(code).map_err(|_| ErrorKind::InvalidPeriod)?;
                match canonical_period(text.trim()) {
                    Ok((t, _)) if t != canonical => Err(ErrorKind::CodeTextMismatch {
                        variable: "TID".into(),
                        code: canonical,
                        text_code: t,
                    }),
                    _ => Ok(canonical),
                }
            }
        }
    }

    fn dim_as(&self, d: &DimCol, cell: &str, p: Presentation) -> Result<String, ErrorKind> {
        match p {
            Presentation::Code => self.vocab.code_key(&d.name, d.domain, cell),
            Presentation::Value => self.vocab.text_key(&d.name, d.domain, cell, self.lang),
            Presentation::CodeAndValue => {
                let (code, text) = cell.split_once(' ').unwrap_or((cell, ""));
                let key = self.vocab.code_key(&d.name, d.domain, code)?;
                if let Ok(text_key) = self
                    .vocab
                    .text_key(&d.name, d.domain, text.trim(), self.lang)
                    && text_key != key
                {
                    return Err(ErrorKind::CodeTextMismatch {
                        variable: d.name.clone(),
                        code: code.to_string(),
                        text_code: text_key,
                    });
                }
                Ok(key)
            }
        }
    }

    fn detect(&self, fields: &[String]) -> Presentation {
        let order = [
            Presentation::Code,
            Presentation::Value,
            Presentation::CodeAndValue,
        ];
        let mut best = (Presentation::Code, 0usize);
        for p in order {
            let mut votes = usize::from(self.period_as(&fields[self.tid], p).is_ok());
            // A CodeAndValue cell has a space; a code-only cell read as CodeAndValue does not vote.
            if p == Presentation::CodeAndValue && !fields[self.tid].contains(' ') {
                votes = 0;
            }
            for d in &self.dims {
                let cell = &fields[d.index];
                if p == Presentation::CodeAndValue && !cell.contains(' ') {
                    continue;
                }
                let fits = match p {
                    // A text of the other language still says "this is a Value export"; the row
                    // then reports it as a text of the wrong language.
                    Presentation::Value => self.vocab.is_known_text(d.domain, cell),
                    _ => self.dim_as(d, cell, p).is_ok(),
                };
                votes += usize::from(fits);
            }
            if votes > best.1 {
                best = (p, votes);
            }
        }
        best.0
    }

    /// Reads one row. Errors go to `err(column, value, kind)` (0-based column); observations to
    /// `out`.
    pub(crate) fn process(
        &mut self,
        row: &Row,
        out: &mut Vec<Observation>,
        err: &mut dyn FnMut(usize, &str, ErrorKind),
    ) -> RowOutcome {
        let f = &row.fields;
        let p = match self.presentation {
            Some(p) => p,
            None => {
                let p = self.detect(f);
                self.presentation = Some(p);
                p
            }
        };
        let mut ok = true;
        let period = self.period_as(&f[self.tid], p).map_err(|e| {
            err(self.tid, &f[self.tid], e);
            ok = false;
        });
        let mut keys: Vec<Option<String>> = Vec::with_capacity(self.dims.len());
        for d in &self.dims {
            match self.dim_as(d, &f[d.index], p) {
                Ok(k) => keys.push(Some(k)),
                Err(e) => {
                    err(d.index, &f[d.index], e);
                    ok = false;
                    keys.push(None);
                }
            }
        }
        let cell = f[self.indhold].as_str();
        let (value, missing) = match cell {
            ".." => (None, Some(MissingReason::Suppressed)),
            "" => (None, Some(MissingReason::Empty)),
            s => match parse_number(s, NumberStyle::StatBank(self.lang)) {
                Ok(v) => (Some(v), None),
                Err(e) => {
                    err(self.indhold, s, e);
                    ok = false;
                    (None, None)
                }
            },
        };
        let (true, Ok(period)) = (ok, period) else {
            return RowOutcome::Error;
        };
        let content = self.content.map(|c| f[c].as_str());
        let key = |i: usize| keys[i].clone().unwrap_or_default();
        let mut produced = false;
        for m in &self.mappings {
            if !m
                .select
                .iter()
                .all(|(i, k)| keys[*i].as_deref() == Some(k.as_str()))
            {
                continue;
            }
            if let Some(c) = content
                && !m
                    .content_type
                    .iter()
                    .any(|t| t == c || c.split_once(' ').is_some_and(|(_, x)| x == t))
            {
                continue;
            }
            if let Some(v) = value
                && v < 0.0
                && m.kind.non_negative()
            {
                err(
                    self.indhold,
                    cell,
                    ErrorKind::Negative {
                        indicator: m.indicator.clone(),
                        kind: m.kind.name(),
                    },
                );
                return RowOutcome::Error;
            }
            let area_code = match &m.area {
                AreaSource::Dim(i) => key(*i),
                AreaSource::Fixed(code) => code.clone(),
            };
            out.push(Observation {
                area_code,
                indicator: m.indicator.clone(),
                period: period.clone(),
                numerator: value,
                denominator: None,
                age_band: m.age.map(key).unwrap_or_default(),
                sex: m.sex.map(key).unwrap_or_default(),
                segment: String::new(),
                missing,
            });
            produced = true;
        }
        if produced {
            RowOutcome::Produced
        } else {
            RowOutcome::Skipped
        }
    }
}
