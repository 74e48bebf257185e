//! The streaming [`Reader`]: bytes in, batches of [`Observation`]s out, then a
//! [`DatasetSummary`] or every error of the file.
//!
//! Memory is bounded by the number of distinct *keys*, not by the file: rows are parsed one at a
//! time and handed out in batches. What is kept per row:
//!
//! - **Duplicate keys**: 16 bytes per observation (a 96-bit keyed fingerprint of the key and the
//!   line number), in sorted chunks merged after the last row; see the `keys` module. 160 MB for
//!   10 million rows. Duplicates are therefore reported when the input has been read, each with
//!   the line of the first occurrence.
//! - **StatBank only**: a map from (indicator, area, period) fingerprints to "a total row was
//!   seen", to report groups whose all-ages/both-sexes total is missing (never summed), and, with
//!   BULK semantics, the distinct values of each dimension (StatBank dimensions are small).
//! - The set of periods and indicators (small).

use std::collections::{BTreeSet, HashMap};
use std::io::Read;

use lighed_core::obs::{MissingReason, Observation};
use serde::Serialize;

use crate::error::{ErrorKind, ErrorSink, IngestError, IngestErrors, MAX_REPORTED_ERRORS};
use crate::input::{CsvSource, DelimiterPolicy, EncodingInfo, Next};
use crate::keys::{Fingerprinter, KeyLog};
use crate::long::LongLayout;
use crate::options::{Format, ImportOptions, Lang, Presentation};
use crate::registry::Registry;
use crate::statbank::{HeaderError, RowOutcome, StatbankLayout};
use crate::vocab::Vocabulary;

/// BULK zero-filling may add at most `BULK_FILL_FACTOR × rows + BULK_FILL_BASE` rows.
pub const BULK_FILL_FACTOR: u128 = 10;
/// See [`BULK_FILL_FACTOR`].
pub const BULK_FILL_BASE: u128 = 1_000_000;

type FingerprintMap<V> = HashMap<u128, V>;

fn key_fields(o: &Observation) -> [&str; 6] {
    [
        &o.area_code,
        &o.indicator,
        &o.period,
        &o.age_band,
        &o.sex,
        &o.segment,
    ]
}

/// What a reader found in a file that it accepted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DatasetSummary {
    /// The source name given to [`Reader::new`].
    pub source_name: String,
    /// The format read.
    pub format: Format,
    /// StatBank table id (StatBank only).
    pub table: Option<String>,
    /// Language (StatBank only; the long format has no language).
    pub lang: Option<Lang>,
    /// The encoding the bytes were decoded with.
    pub encoding: EncodingInfo,
    /// StatBank presentation (StatBank only).
    pub presentation: Option<Presentation>,
    /// Field delimiter.
    pub delimiter: char,
    /// Whether BULK zero-filling was applied.
    pub bulk: bool,
    /// Bytes read (the whole input).
    pub bytes_read: u64,
    /// SHA-256 of the bytes read, lowercase hex.
    pub sha256: String,
    /// Data rows (excluding the header).
    pub rows_read: u64,
    /// StatBank rows that no registry mapping selects (e.g. CIVILSTAND ≠ TOT).
    pub rows_skipped: u64,
    /// Observations produced (including missing ones and BULK zeros).
    pub observations: u64,
    /// Observations missing as `..` (suppressed).
    pub missing_suppressed: u64,
    /// Observations missing as an empty cell.
    pub missing_empty: u64,
    /// Observations added as 0 by BULK semantics.
    pub bulk_zero_filled: u64,
    /// Canonical periods covered, sorted.
    pub periods: Vec<String>,
    /// Indicator ids present, sorted.
    pub indicators: Vec<String>,
    /// StatBank: (indicator, area, period) groups with breakdowns but no total row (the total is
    /// missing; it is never computed by summing).
    pub groups_without_total: u64,
    /// StatBank: the indicators of those groups, sorted.
    pub indicators_without_total: Vec<String>,
}

enum Layout {
    Long(LongLayout),
    StatBank(StatbankLayout),
}

/// Distinct values seen per dimension for one indicator (BULK).
#[derive(Default)]
struct BulkDims {
    areas: BTreeSet<String>,
    periods: BTreeSet<String>,
    ages: BTreeSet<String>,
    sexes: BTreeSet<String>,
}

/// The cartesian product walk of BULK zero-filling.
struct BulkFill {
    dims: Vec<(String, [Vec<String>; 4])>,
    which: usize,
    counter: [usize; 4],
}

impl BulkFill {
    fn next_candidate(&mut self) -> Option<Observation> {
        loop {
            let (indicator, lists) = self.dims.get(self.which)?;
            if lists.iter().any(Vec::is_empty) || self.counter[0] >= lists[0].len() {
                self.which += 1;
                self.counter = [0; 4];
                continue;
            }
            let c = self.counter;
            let obs = Observation {
                area_code: lists[0][c[0]].clone(),
                indicator: indicator.clone(),
                period: lists[1][c[1]].clone(),
                numerator: Some(0.0),
                denominator: None,
                age_band: lists[2][c[2]].clone(),
                sex: lists[3][c[3]].clone(),
                segment: String::new(),
                missing: None,
            };
            // odometer, last dimension fastest
            for d in (0..4).rev() {
                self.counter[d] += 1;
                if self.counter[d] < lists[d].len() || d == 0 {
                    break;
                }
                self.counter[d] = 0;
            }
            return Some(obs);
        }
    }
}

enum Phase {
    Reading,
    Filling(BulkFill),
    Done,
}

/// A streaming reader of one file.
///
/// ```no_run
/// # use lighed_ingest::{ImportOptions, Reader, Registry};
/// # fn store(_: Vec<lighed_core::obs::Observation>) {}
/// let registry = Registry::bundled().unwrap();
/// let file = std::fs::File::open("data/demo/indicators.csv").unwrap();
/// let mut reader = Reader::new("indicators.csv", file, &ImportOptions::default(), &registry)
///     .map_err(|e| e.to_string())
///     .unwrap();
/// while let Some(batch) = reader.next_batch(10_000) {
///     store(batch); // inside the import transaction
/// }
/// match reader.finish() {
///     Ok(summary) => println!("{} observations, sha256 {}", summary.observations, summary.sha256),
///     Err(errors) => eprintln!("{errors}"), // roll back
/// }
/// ```
pub struct Reader<R: Read> {
    src: CsvSource<R>,
    source_name: String,
    header: Vec<String>,
    layout: Layout,
    lang: Lang,
    bulk: bool,
    phase: Phase,
    sink: ErrorSink,
    pending: Vec<Observation>,
    row_out: Vec<Observation>,
    fingerprinter: Fingerprinter,
    keys: KeyLog,
    totals: FingerprintMap<(bool, u32)>,
    indicator_ids: Vec<String>,
    bulk_dims: Vec<BulkDims>,
    periods: BTreeSet<String>,
    rows_read: u64,
    rows_skipped: u64,
    observations: u64,
    missing_suppressed: u64,
    missing_empty: u64,
    bulk_zero_filled: u64,
}

fn header_errors(source_name: &str, header: &[String], errs: Vec<HeaderError>) -> IngestErrors {
    let mut sink = ErrorSink::default();
    for (col, value, kind) in errs {
        sink.push(IngestError::new(
            source_name,
            1,
            col as u64 + 1,
            header
                .get(col)
                .map(String::as_str)
                .filter(|_| !matches!(kind, ErrorKind::UnknownHeader { .. })),
            &value,
            kind,
        ));
    }
    sink.into_errors()
}

impl<R: Read> Reader<R> {
    /// Opens a file: sniffs encoding and delimiter, reads and checks the header (format, columns,
    /// StatBank table and mappings). Header-level problems are returned here; row problems are
    /// collected while reading and returned by [`Reader::finish`].
    pub fn new(
        source_name: &str,
        input: R,
        opts: &ImportOptions,
        registry: &Registry,
    ) -> Result<Self, IngestErrors> {
        let policy = match opts.format {
            Some(Format::StatBank) => DelimiterPolicy::Semicolon,
            _ => DelimiterPolicy::Detect,
        };
        let src = CsvSource::open(source_name, input, opts.encoding, policy)?;
        let header = src.header().to_vec();
        let format = match opts.format {
            Some(f) => f,
            None if header.first().is_some_and(|h| h == "area_code") => Format::Long,
            None if header.last().is_some_and(|h| h == "INDHOLD") => Format::StatBank,
            None => {
                return Err(header_errors(
                    source_name,
                    &header,
                    vec![(
                        0,
                        header.join(&(src.delimiter() as char).to_string()),
                        ErrorKind::UnknownHeader {
                            expected: "neither the long format (area_code;indicator;period;numerator;denominator[;age_band;sex;segment]) nor a StatBank export (variable codes, TID, INDHOLD last)".into(),
                        },
                    )],
                ));
            }
        };
        let layout = match format {
            Format::Long => Layout::Long(
                LongLayout::new(&header, registry)
                    .map_err(|e| header_errors(source_name, &header, e))?,
            ),
            Format::StatBank => {
                let vocab = Vocabulary::bundled().map_err(|message| {
                    IngestErrors::one(IngestError::new(
                        source_name,
                        1,
                        1,
                        None,
                        "",
                        ErrorKind::Io { message },
                    ))
                })?;
                Layout::StatBank(
                    StatbankLayout::new(
                        &header,
                        opts.table.as_deref(),
                        opts.lang,
                        opts.presentation,
                        registry,
                        vocab,
                    )
                    .map_err(|e| header_errors(source_name, &header, e))?,
                )
            }
        };
        Ok(Reader {
            src,
            source_name: source_name.to_string(),
            header,
            layout,
            lang: opts.lang,
            bulk: opts.bulk && format == Format::StatBank,
            phase: Phase::Reading,
            sink: ErrorSink::default(),
            pending: Vec::new(),
            row_out: Vec::new(),
            fingerprinter: Fingerprinter::new(),
            keys: KeyLog::default(),
            totals: FingerprintMap::default(),
            indicator_ids: Vec::new(),
            bulk_dims: Vec::new(),
            periods: BTreeSet::new(),
            rows_read: 0,
            rows_skipped: 0,
            observations: 0,
            missing_suppressed: 0,
            missing_empty: 0,
            bulk_zero_filled: 0,
        })
    }

    /// The format being read.
    pub fn format(&self) -> Format {
        match self.layout {
            Layout::Long(_) => Format::Long,
            Layout::StatBank(_) => Format::StatBank,
        }
    }

    /// The encoding the file is decoded with.
    pub fn encoding(&self) -> EncodingInfo {
        self.src.encoding()
    }

    /// Bytes of the input parsed so far, for a progress bar (compare with the file size).
    pub fn bytes_parsed(&self) -> u64 {
        self.src.bytes_parsed()
    }

    /// Whether an error has been found so far (then [`Reader::next_batch`] yields nothing more).
    pub fn has_errors(&self) -> bool {
        !self.sink.is_empty()
    }

    /// The next batch of at most `n` observations (`n = 0` is taken as 1), in file order.
    ///
    /// Returns `None` at the end of the input, and as soon as any error has been found: the file
    /// will be rejected, so nothing more should be stored; [`Reader::finish`] then reads the rest
    /// to report every error.
    pub fn next_batch(&mut self, n: usize) -> Option<Vec<Observation>> {
        let n = n.max(1);
        let mut out = Vec::with_capacity(n.min(65_536));
        while out.len() < n {
            if self.has_errors() {
                return None;
            }
            if !self.pending.is_empty() {
                let take = (n - out.len()).min(self.pending.len());
                out.extend(self.pending.drain(..take));
                continue;
            }
            if !self.step() {
                break;
            }
        }
        if self.has_errors() || out.is_empty() {
            None
        } else {
            Some(out)
        }
    }

    /// Reads the rest of the input (validating it, discarding observations not yet taken) and
    /// returns the summary, or every error found (first 100 and the total).
    ///
    /// Call it after [`Reader::next_batch`] returned `None`.
    pub fn finish(mut self) -> Result<DatasetSummary, IngestErrors> {
        while self.step() {
            self.pending.clear();
        }
        if self.rows_read == 0 && self.sink.is_empty() {
            self.sink.push(IngestError::new(
                &self.source_name,
                1,
                1,
                None,
                "",
                ErrorKind::NoDataRows,
            ));
        }
        let encoding = self.src.encoding();
        let delimiter = self.src.delimiter() as char;
        let (format, table, presentation) = match &self.layout {
            Layout::Long(_) => (Format::Long, None, None),
            Layout::StatBank(s) => (
                Format::StatBank,
                Some(s.table().to_string()),
                s.presentation(),
            ),
        };
        let finished = self.src.finish();
        if !self.sink.is_empty() {
            return Err(self.sink.into_errors());
        }
        let (sha256, bytes_read) = finished.map_err(|e| {
            IngestErrors::one(IngestError::new(
                &self.source_name,
                1,
                1,
                None,
                "",
                ErrorKind::Io {
                    message: e.to_string(),
                },
            ))
        })?;
        let mut without_total = BTreeSet::new();
        let mut groups_without_total = 0;
        for (has_total, idx) in self.totals.values() {
            if !has_total {
                groups_without_total += 1;
                without_total.insert(self.indicator_ids[*idx as usize].clone());
            }
        }
        let mut indicators: Vec<String> = self.indicator_ids.clone();
        indicators.sort();
        Ok(DatasetSummary {
            source_name: self.source_name,
            format,
            table,
            lang: (format == Format::StatBank).then_some(self.lang),
            encoding,
            presentation,
            delimiter,
            bulk: self.bulk,
            bytes_read,
            sha256,
            rows_read: self.rows_read,
            rows_skipped: self.rows_skipped,
            observations: self.observations,
            missing_suppressed: self.missing_suppressed,
            missing_empty: self.missing_empty,
            bulk_zero_filled: self.bulk_zero_filled,
            periods: self.periods.into_iter().collect(),
            indicators,
            groups_without_total,
            indicators_without_total: without_total.into_iter().collect(),
        })
    }

    /// Processes one row (or one BULK fill candidate). Returns false when there is nothing more.
    fn step(&mut self) -> bool {
        match &mut self.phase {
            Phase::Done => false,
            Phase::Filling(fill) => {
                if !self.sink.is_empty() {
                    self.phase = Phase::Done;
                    return true;
                }
                match fill.next_candidate() {
                    None => self.phase = Phase::Done,
                    Some(obs) => {
                        if !self
                            .keys
                            .contains(self.fingerprinter.fingerprint(&key_fields(&obs)))
                        {
                            self.bulk_zero_filled += 1;
                            self.accept(obs, 1, false);
                        }
                    }
                }
                true
            }
            Phase::Reading => {
                match self.src.next(&mut self.sink) {
                    Next::End => self.end_of_rows(),
                    Next::Bad => self.rows_read += 1,
                    Next::Row(mut row) => {
                        self.rows_read += 1;
                        let mut out = std::mem::take(&mut self.row_out);
                        out.clear();
                        let mut row_errors: Vec<(usize, String, ErrorKind)> = Vec::new();
                        let mut err = |col: usize, value: &str, kind: ErrorKind| {
                            row_errors.push((col, value.to_string(), kind));
                        };
                        let outcome = match &mut self.layout {
                            Layout::Long(l) => l.process(&mut row, &mut out, &mut err),
                            Layout::StatBank(s) => s.process(&row, &mut out, &mut err),
                        };
                        // Report a row's errors in column order.
                        row_errors.sort_by_key(|(col, _, _)| *col);
                        for (col, value, kind) in row_errors {
                            self.sink.push(IngestError::new(
                                &self.source_name,
                                row.line,
                                col as u64 + 1,
                                self.header.get(col).map(String::as_str),
                                &value,
                                kind,
                            ));
                        }
                        match outcome {
                            RowOutcome::Error => {}
                            RowOutcome::Skipped => self.rows_skipped += 1,
                            RowOutcome::Produced => {
                                for obs in out.drain(..) {
                                    self.accept(obs, row.line, true);
                                }
                            }
                        }
                        out.clear();
                        self.row_out = out;
                    }
                }
                true
            }
        }
    }

    /// After the last row: start BULK filling or finish.
    fn end_of_rows(&mut self) {
        self.keys.seal();
        let (duplicates, total) = self.keys.duplicates(MAX_REPORTED_ERRORS);
        let errors = duplicates
            .into_iter()
            .map(|d| {
                IngestError::new(
                    &self.source_name,
                    d.line,
                    1,
                    self.header.first().map(String::as_str),
                    "",
                    ErrorKind::DuplicateKey {
                        first_line: d.first_line,
                    },
                )
            })
            .collect();
        self.sink.merge(errors, total);
        if !self.bulk || !self.sink.is_empty() {
            self.phase = Phase::Done;
            return;
        }
        let mut cells: u128 = 0;
        let mut dims = Vec::new();
        for (i, d) in std::mem::take(&mut self.bulk_dims).into_iter().enumerate() {
            let lists = [
                d.areas.into_iter().collect::<Vec<_>>(),
                d.periods.into_iter().collect(),
                d.ages.into_iter().collect(),
                d.sexes.into_iter().collect(),
            ];
            cells += lists.iter().map(|l| l.len() as u128).product::<u128>();
            dims.push((self.indicator_ids[i].clone(), lists));
        }
        let limit = BULK_FILL_FACTOR * u128::from(self.rows_read) + BULK_FILL_BASE;
        let to_fill = cells.saturating_sub(u128::from(self.observations));
        if to_fill > limit {
            self.sink.push(IngestError::new(
                &self.source_name,
                1,
                1,
                None,
                "",
                ErrorKind::BulkFillTooLarge {
                    cells: to_fill,
                    limit,
                },
            ));
            self.phase = Phase::Done;
            return;
        }
        self.phase = Phase::Filling(BulkFill {
            dims,
            which: 0,
            counter: [0; 4],
        });
    }

    /// Checks an observation's key, records it and queues it.
    fn accept(&mut self, obs: Observation, line: u64, from_file: bool) {
        if from_file {
            self.keys
                .push(self.fingerprinter.fingerprint(&key_fields(&obs)), line);
        }
        let idx = match self.indicator_ids.iter().position(|i| *i == obs.indicator) {
            Some(i) => i,
            None => {
                self.indicator_ids.push(obs.indicator.clone());
                self.bulk_dims.push(BulkDims::default());
                self.indicator_ids.len() - 1
            }
        };
        if let Layout::StatBank(_) = self.layout {
            let group =
                self.fingerprinter
                    .fingerprint(&[&obs.indicator, &obs.area_code, &obs.period]);
            let is_total = obs.age_band.is_empty() && obs.sex.is_empty() && obs.segment.is_empty();
            let entry = self.totals.entry(group).or_insert((false, idx as u32));
            entry.0 |= is_total;
            if self.bulk && from_file {
                let d = &mut self.bulk_dims[idx];
                for (set, v) in [
                    (&mut d.areas, &obs.area_code),
                    (&mut d.periods, &obs.period),
                    (&mut d.ages, &obs.age_band),
                    (&mut d.sexes, &obs.sex),
                ] {
                    if !set.contains(v) {
                        set.insert(v.clone());
                    }
                }
            }
        }
        if !self.periods.contains(&obs.period) {
            self.periods.insert(obs.period.clone());
        }
        match obs.missing {
            Some(MissingReason::Suppressed) => self.missing_suppressed += 1,
            Some(MissingReason::Empty) => self.missing_empty += 1,
            None => {}
        }
        self.observations += 1;
        self.pending.push(obs);
    }
}
