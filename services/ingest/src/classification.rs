//! Reader for Statistics Denmark classification exports (e.g. KOMGRP, kommunegrupper), whose
//! header is `SEKVENS;KODE;NIVEAU;TITEL;GENERELLE_NOTER;…` — one row per classification item with
//! its sequence number, code, level in the hierarchy and title.
//!
//! The bundled KOMGRP file (`services/ingest/data/dst_classification_komgrp.csv`, UTF-8 BOM, CRLF)
//! gives the 98 municipalities (level 2) with their 3-digit codes; [`crate::vocab`] uses them to
//! map municipality names to codes.

use std::collections::HashSet;
use std::io::Read;

use serde::Serialize;

use crate::error::{ErrorKind, ErrorSink, IngestError, IngestErrors};
use crate::input::{CsvSource, DelimiterPolicy, EncodingInfo, Next};
use crate::options::EncodingChoice;

/// The columns every classification export starts with.
const REQUIRED: [&str; 4] = ["SEKVENS", "KODE", "NIVEAU", "TITEL"];

/// One item of a classification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClassificationItem {
    /// `SEKVENS`: position in the classification.
    pub sequence: u32,
    /// `KODE`, e.g. `751`.
    pub code: String,
    /// `NIVEAU`: 1 = top level.
    pub level: u32,
    /// `TITEL`, e.g. `Aarhus`.
    pub title: String,
}

/// A classification export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Classification {
    /// Items in file order.
    pub items: Vec<ClassificationItem>,
    /// The encoding the file was read with.
    pub encoding: EncodingInfo,
    /// SHA-256 (hex) of the bytes read.
    pub sha256: String,
}

impl Classification {
    /// The items of one level, in file order.
    pub fn level(&self, level: u32) -> impl Iterator<Item = &ClassificationItem> {
        self.items.iter().filter(move |i| i.level == level)
    }
}

/// Reads a classification export. Every malformed row is reported (capped at 100), with its line
/// and column; duplicate codes are errors.
pub fn read_classification<R: Read>(
    source_name: &str,
    input: R,
    encoding: EncodingChoice,
) -> Result<Classification, IngestErrors> {
    let mut src = CsvSource::open(source_name, input, encoding, DelimiterPolicy::Semicolon)?;
    let mut sink = ErrorSink::default();
    let header = src.header().to_vec();
    for (i, want) in REQUIRED.iter().enumerate() {
        if header.get(i).map(String::as_str) != Some(*want) {
            let value = header.get(i).cloned().unwrap_or_default();
            sink.push(IngestError::new(
                source_name,
                1,
                i as u64 + 1,
                None,
                &value,
                ErrorKind::UnknownHeader {
                    expected: format!("a classification header starts with {}", REQUIRED.join(";")),
                },
            ));
            return Err(sink.into_errors());
        }
    }
    let mut items = Vec::new();
    let mut codes = HashSet::new();
    loop {
        let row = match src.next(&mut sink) {
            Next::Row(row) => row,
            Next::Bad => continue,
            Next::End => break,
        };
        let mut bad = |column: usize, expected: &str| {
            sink.push(IngestError::new(
                source_name,
                row.line,
                column as u64 + 1,
                Some(REQUIRED[column]),
                &row.fields[column],
                ErrorKind::InvalidClassification {
                    expected: expected.to_string(),
                },
            ));
        };
        let sequence = row.fields[0].parse::<u32>();
        let level = row.fields[2].parse::<u32>();
        let code = &row.fields[1];
        let title = &row.fields[3];
        let mut ok = true;
        if sequence.is_err() {
            bad(0, "SEKVENS must be a whole number");
            ok = false;
        }
        if code.is_empty() || code.contains(char::is_whitespace) {
            bad(1, "KODE must be a code without spaces");
            ok = false;
        } else if !codes.insert(code.clone()) {
            bad(1, "KODE appears twice");
            ok = false;
        }
        if !matches!(level, Ok(1..)) {
            bad(2, "NIVEAU must be a whole number >= 1");
            ok = false;
        }
        if title.is_empty() {
            bad(3, "TITEL must not be empty");
            ok = false;
        }
        if let (true, Ok(sequence), Ok(level)) = (ok, sequence, level) {
            items.push(ClassificationItem {
                sequence,
                code: code.clone(),
                level,
                title: title.clone(),
            });
        }
    }
    if items.is_empty() && sink.is_empty() {
        sink.push(IngestError::new(
            source_name,
            1,
            1,
            None,
            "",
            ErrorKind::NoDataRows,
        ));
    }
    let encoding = src.encoding();
    let finished = src.finish();
    if !sink.is_empty() {
        return Err(sink.into_errors());
    }
    let (sha256, _) = finished.map_err(|e| {
        IngestErrors::one(IngestError::new(
            source_name,
            1,
            1,
            None,
            "",
            ErrorKind::Io {
                message: e.to_string(),
            },
        ))
    })?;
    Ok(Classification {
        items,
        encoding,
        sha256,
    })
}
