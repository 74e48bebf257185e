//! One streaming pass over pseudonymised person rows (CSV, or Parquet through
//! [`crate::parquet_input`]) to [`SegmentCounts`].
//!
//! # The microdata format
//!
//! One row per person, a header line, `;` or `,` as delimiter (taken from the header: `;` wins),
//! UTF-8 (a BOM is skipped), LF or CRLF:
//!
//! | column | required | values |
//! | --- | --- | --- |
//! | `area_code` | yes | the person's area (parish `7240`, municipality `657`, housing area `657-B01`, …): 1–64 characters, no spaces, control characters, `;`, `,` or `"` |
//! | `age` | yes | whole years `0`–`125` |
//! | `sex` | yes | `1` men, `2` women (StatBank `KØN` codes) |
//! | `education` | when a segment uses it | `1` basic, `2` upper secondary / vocational, `3` higher, empty unknown |
//! | `origin` | when a segment uses it | `1` Danish, `2` Western, `3` non-Western, empty unknown |
//! | each declared flag | when a segment uses it | `0` or `1` |
//!
//! Any other column is rejected — a CPR-like header (`cpr`, `cpr_nr`, `personnummer`, …) with a
//! message saying so — and so is any area code that looks like a CPR number (`DDMMYY-SSSS`, or
//! ten digits whose first six are a valid date). Pseudonymised data have no use for a person key
//! here, so none is read. An impossible age (negative, not a whole number, above 125) rejects the
//! file with its line. On any error nothing is returned: [`aggregate_file`] yields counts only
//! for a file that is valid from the first to the last line. A Parquet file has the same
//! columns (names from its schema) and the same checks; its errors name the data row.
//!
//! # How it runs
//!
//! The data are never held row by row: each worker reads its byte range in 256 KiB blocks and
//! cuts records out of them without copying (a record without quotes is split directly at its
//! line end and delimiters; any other goes through `csv_core`; the two agree with the `csv`
//! crate, see `records.rs`), decodes the fields from bytes, and parses a batch of at most
//! [`BATCH_ROWS`] rows into four small integer columns (area index, demographic key, flag
//! pattern), counts the batch, and reuses the buffers. Segment membership of a row is two table
//! look-ups — a 64-bit mask from the demographic key (age × sex × education × origin) and one
//! from the flag pattern, AND-ed — so the cost per row does not grow with the number of
//! conditions. Memory is the count arrays (`areas × 38 cells × 2 × segments` 32-bit counters per
//! worker) plus one batch: independent of the number of rows.
//!
//! [`aggregate_file`] splits the file into byte ranges at line ends, one per worker thread
//! (scoped threads), and adds the workers' integer counts at the end (in place in the array of
//! a worker that saw every area), so the result does not depend on the number of threads. The first error in file order is reported, whatever the
//! thread that found it.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::counts::{CELLS, SegmentCounts, band_of_age};
use crate::definition::{Definitions, EDUCATION_NAMES, MAX_AGE, ORIGIN_NAMES};
use crate::error::{MicrodataError, MicrodataErrorKind};
use crate::records::{Fields, RecordReader};

/// The fixed (non-flag) columns of the microdata format.
pub const CORE_COLUMNS: [&str; 5] = ["area_code", "age", "sex", "education", "origin"];

/// Rows parsed before they are counted (and the batch buffers reused).
pub const BATCH_ROWS: usize = 1 << 14;

/// The most rows one file may hold (counts are 32-bit).
pub const MAX_ROWS: u64 = u32::MAX as u64;

/// The most distinct area codes one file may hold.
pub const MAX_AREAS: usize = 1 << 20;

/// Number of demographic keys: age (0..=125) × sex (2) × education (4) × origin (4).
const DEMO_KEYS: usize = (MAX_AGE as usize + 1) * 2 * 4 * 4;

/// Options of [`aggregate_file`].
pub struct AggregateOptions<'a> {
    /// Worker threads (1 = sequential). The result does not depend on it.
    pub threads: usize,
    /// Called with the number of bytes processed since the last call (for a progress bar).
    pub progress: Option<&'a (dyn Fn(u64) + Sync)>,
}

impl Default for AggregateOptions<'_> {
    fn default() -> Self {
        AggregateOptions {
            threads: std::thread::available_parallelism().map_or(1, |n| n.get().min(8)),
            progress: None,
        }
    }
}

/// What a pass read, and where its time went.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AggregateSummary {
    /// Person rows read.
    pub rows: u64,
    /// Distinct area codes.
    pub areas: usize,
    /// Bytes of the file.
    pub bytes: u64,
    /// Threads used.
    pub threads: usize,
    /// Time spent parsing rows into batches, summed over threads.
    pub parse_time: Duration,
    /// Time spent counting batches, summed over threads.
    pub count_time: Duration,
    /// Time spent adding the workers' counts into the result.
    pub merge_time: Duration,
}

/// Whether a header names a CPR number or another direct person number.
pub fn is_cpr_like_header(name: &str) -> bool {
    let n: String = name
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    n.contains("cpr")
        || n.contains("personnummer")
        || n.contains("personnr")
        || matches!(n.as_str(), "pnr" | "personid" | "personnumber" | "ssn")
}

/// Whether a value looks like a CPR number: `DDMMYY-SSSS` or `DDMMYYSSSS` (ten digits) whose
/// first six digits are a valid date (29 February accepted in years divisible by 4, as the
/// century is unknown). The modulus-11 check is not applied: CPR numbers issued since 2007
/// need not satisfy it.
pub fn looks_like_cpr(value: &[u8]) -> bool {
    let digits: [u8; 10] = match value.len() {
        10 => match value.try_into() {
            Ok(d) => d,
            Err(_) => return false,
        },
        11 if value[6] == b'-' => {
            let mut d = [0u8; 10];
            d[..6].copy_from_slice(&value[..6]);
            d[6..].copy_from_slice(&value[7..]);
            d
        }
        _ => return false,
    };
    if !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let two = |i: usize| (digits[i] - b'0') as u32 * 10 + (digits[i + 1] - b'0') as u32;
    let (day, month, year) = (two(0), two(2), two(4));
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if year % 4 == 0 => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Area,
    Age,
    Sex,
    Education,
    Origin,
    Flag(usize),
}

/// The compiled definitions and the file's column layout.
pub(crate) struct Plan {
    delimiter: u8,
    pub(crate) fields: usize,
    area: usize,
    age: usize,
    sex: usize,
    education: Option<usize>,
    origin: Option<usize>,
    flags: Vec<(usize, usize)>, // (column, flag bit)
    names: Vec<String>,
    nseg: usize,
    demo_mask: Vec<u64>,
    flag_mask: Vec<u64>,
    cell_of_demo: Vec<u8>,
}

fn demo_key(age: usize, sex: usize, edu: usize, origin: usize) -> usize {
    ((age * 2 + sex) * 4 + edu) * 4 + origin
}

impl Plan {
    fn new(
        header: &csv::ByteRecord,
        delimiter: u8,
        defs: &Definitions,
    ) -> Result<Plan, MicrodataErrorKind> {
        let names = header.iter().enumerate().map(|(i, raw)| {
            let raw = if i == 0 {
                raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(raw)
            } else {
                raw
            };
            String::from_utf8_lossy(raw).trim().to_string()
        });
        Plan::from_names(names, delimiter, defs)
    }

    /// The plan for columns with these names, in file order (CSV header or Parquet schema).
    pub(crate) fn from_names(
        header: impl IntoIterator<Item = String>,
        delimiter: u8,
        defs: &Definitions,
    ) -> Result<Plan, MicrodataErrorKind> {
        let mut roles: Vec<Option<Role>> = Vec::new();
        let mut names = Vec::new();
        for name in header {
            if is_cpr_like_header(&name) {
                return Err(MicrodataErrorKind::CprColumn { column: name });
            }
            let role = match name.as_str() {
                "area_code" => Role::Area,
                "age" => Role::Age,
                "sex" => Role::Sex,
                "education" => Role::Education,
                "origin" => Role::Origin,
                other => match defs.flags.iter().position(|f| f.name == other) {
                    Some(j) => Role::Flag(j),
                    None => {
                        let mut expected: Vec<&str> = CORE_COLUMNS.to_vec();
                        expected.extend(defs.flags.iter().map(|f| f.name.as_str()));
                        return Err(MicrodataErrorKind::UnknownColumn {
                            column: name,
                            expected: expected.join(", "),
                        });
                    }
                },
            };
            if roles.contains(&Some(role)) {
                return Err(MicrodataErrorKind::DuplicateColumn { column: name });
            }
            roles.push(Some(role));
            names.push(name);
        }
        let find = |r: Role| roles.iter().position(|x| *x == Some(r));
        let need = |r: Role, column: &str, why: &str| {
            find(r).ok_or_else(|| MicrodataErrorKind::MissingColumn {
                column: column.to_string(),
                why: why.to_string(),
            })
        };
        let area = need(Role::Area, "area_code", "every row needs its area")?;
        let age = need(Role::Age, "age", "age bands and age conditions")?;
        let sex = need(Role::Sex, "sex", "age-sex standardisation")?;
        let education = find(Role::Education);
        if education.is_none() && defs.uses_education() {
            return Err(MicrodataErrorKind::MissingColumn {
                column: "education".into(),
                why: "a segment has an education condition".into(),
            });
        }
        let origin = find(Role::Origin);
        if origin.is_none() && defs.uses_origin() {
            return Err(MicrodataErrorKind::MissingColumn {
                column: "origin".into(),
                why: "a segment has an origin condition".into(),
            });
        }
        let mut flags = Vec::new();
        for (j, f) in defs.flags.iter().enumerate() {
            match find(Role::Flag(j)) {
                Some(col) => flags.push((col, j)),
                None if defs.uses_flag(j) => {
                    return Err(MicrodataErrorKind::MissingColumn {
                        column: f.name.clone(),
                        why: "a segment has a condition on this flag".into(),
                    });
                }
                None => {}
            }
        }
        let nseg = defs.segments.len();
        let mut demo_mask = vec![0u64; DEMO_KEYS];
        let mut cell_of_demo = vec![0u8; DEMO_KEYS];
        for a in 0..=MAX_AGE as usize {
            for s in 0..2 {
                for e in 0..4 {
                    for o in 0..4 {
                        let k = demo_key(a, s, e, o);
                        cell_of_demo[k] = (band_of_age(a as u8) * 2 + s) as u8;
                        let mut m = 0u64;
                        for (i, seg) in defs.segments.iter().enumerate() {
                            for (bit, b) in [(2 * i, &seg.base), (2 * i + 1, &seg.members)] {
                                if b.age >> a & 1 == 1
                                    && b.sex >> s & 1 == 1
                                    && b.education >> e & 1 == 1
                                    && b.origin >> o & 1 == 1
                                {
                                    m |= 1 << bit;
                                }
                            }
                        }
                        demo_mask[k] = m;
                    }
                }
            }
        }
        let patterns = 1usize << defs.flags.len();
        let flag_mask = (0..patterns)
            .map(|p| {
                let mut m = 0u64;
                for (i, seg) in defs.segments.iter().enumerate() {
                    if seg.base.allows_pattern(p) {
                        m |= 1 << (2 * i);
                    }
                    if seg.members.allows_pattern(p) {
                        m |= 1 << (2 * i + 1);
                    }
                }
                m
            })
            .collect();
        Ok(Plan {
            delimiter,
            fields: roles.len(),
            area,
            age,
            sex,
            education,
            origin,
            flags,
            names,
            nseg,
            demo_mask,
            flag_mask,
            cell_of_demo,
        })
    }
}

/// A parse error inside a worker: the record's byte offset in its range, its line counted from
/// the start of the range (1-based), and the kind.
struct RowError {
    offset: u64,
    line: u64,
    kind: MicrodataErrorKind,
}

/// One worker's state: its area codes, its counts and its batch buffers.
pub(crate) struct Worker<'p> {
    plan: &'p Plan,
    /// Codes of up to 7 bytes packed into a `u64` (bytes + length), the common case.
    short: HashMap<u64, u32, foldhash::fast::FixedState>,
    /// Indexes of codes of 1–4 ASCII digits by [`numeric_slot`] (`u32::MAX` = not seen);
    /// allocated at the first such code (44 KiB).
    numeric: Vec<u32>,
    /// Longer codes.
    long: HashMap<Vec<u8>, u32, foldhash::fast::FixedState>,
    code_list: Vec<Vec<u8>>,
    /// The last short code seen and its index (rows sorted by area hit this every time).
    last: (u64, u32),
    /// Per local area, cell and segment: `[in the base, a member]` (bits 2s and 2s + 1).
    counts: Vec<[u32; 2]>,
    pub(crate) batch_area: Vec<u32>,
    batch_demo: Vec<u16>,
    batch_flags: Vec<u16>,
    pub(crate) rows: u64,
    pub(crate) parse_time: Duration,
    pub(crate) count_time: Duration,
}

/// Slots of [`numeric_slot`]: 10 + 100 + 1,000 + 10,000 codes of 1–4 digits.
const NUMERIC_SLOTS: usize = 11_110;

/// A distinct slot for each code of 1–4 ASCII digits (`"07"` and `"7"` differ), else `None`.
fn numeric_slot(v: &[u8]) -> Option<usize> {
    const BASE: [usize; 5] = [0, 0, 10, 110, 1_110];
    if v.is_empty() || v.len() > 4 {
        return None;
    }
    let mut n = 0usize;
    for &b in v {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        n = n * 10 + d as usize;
    }
    Some(BASE[v.len()] + n)
}

fn code_of(v: &[u8], column: usize, plan: &Plan, n: usize) -> Result<usize, MicrodataErrorKind> {
    match v {
        b"" => Ok(3),
        [d @ b'1'..=b'9'] if ((d - b'1') as usize) < n => Ok((d - b'1') as usize),
        _ => Err(MicrodataErrorKind::InvalidCode {
            column: plan.names[column].clone(),
            value: String::from_utf8_lossy(v).chars().take(16).collect(),
            expected: if n == 2 {
                "1 or 2".into()
            } else {
                format!("1 to {n} or empty")
            },
        }),
    }
}

impl<'p> Worker<'p> {
    pub(crate) fn new(plan: &'p Plan) -> Worker<'p> {
        Worker {
            plan,
            short: HashMap::with_hasher(foldhash::fast::FixedState::default()),
            numeric: Vec::new(),
            long: HashMap::with_hasher(foldhash::fast::FixedState::default()),
            code_list: Vec::new(),
            last: (u64::MAX, 0),
            counts: Vec::new(),
            batch_area: Vec::with_capacity(BATCH_ROWS),
            batch_demo: Vec::with_capacity(BATCH_ROWS),
            batch_flags: Vec::with_capacity(BATCH_ROWS),
            rows: 0,
            parse_time: Duration::ZERO,
            count_time: Duration::ZERO,
        }
    }

    fn stride(&self) -> usize {
        CELLS * 2 * self.plan.nseg
    }

    fn area_index(&mut self, v: &[u8]) -> Result<u32, MicrodataErrorKind> {
        // Codes of 1–4 digits (municipalities, parishes, postal codes): a direct table.
        let slot = numeric_slot(v);
        if let Some(&i) = slot.and_then(|s| self.numeric.get(s))
            && i != u32::MAX
        {
            return Ok(i);
        }
        // Bytes in the low bytes (little-endian order), the length in the top byte; built in a
        // register (a byte buffer read back as a u64 stalls store forwarding).
        let packed = (v.len() <= 7).then(|| {
            v.iter()
                .enumerate()
                .fold((v.len() as u64) << 56, |p, (i, &b)| {
                    p | (b as u64) << (8 * i)
                })
        });
        if let Some(p) = packed {
            if p == self.last.0 {
                return Ok(self.last.1);
            }
            if let Some(&i) = self.short.get(&p) {
                self.last = (p, i);
                return Ok(i);
            }
        } else if let Some(&i) = self.long.get(v) {
            return Ok(i);
        }
        // A new code: validate once.
        let ok = !v.is_empty()
            && v.len() <= 64
            && std::str::from_utf8(v).is_ok_and(|s| {
                !s.chars()
                    .any(|c| c.is_whitespace() || c.is_control() || matches!(c, ';' | ',' | '"'))
            });
        if !ok {
            return Err(MicrodataErrorKind::InvalidAreaCode);
        }
        if looks_like_cpr(v) {
            return Err(MicrodataErrorKind::CprValue {
                column: self.plan.names[self.plan.area].clone(),
            });
        }
        if self.code_list.len() >= MAX_AREAS {
            return Err(MicrodataErrorKind::TooManyAreas { max: MAX_AREAS });
        }
        let i = self.code_list.len() as u32;
        match packed {
            Some(p) => {
                self.short.insert(p, i);
                self.last = (p, i);
            }
            None => {
                self.long.insert(v.to_vec(), i);
            }
        }
        if let Some(s) = slot {
            if self.numeric.is_empty() {
                self.numeric = vec![u32::MAX; NUMERIC_SLOTS];
            }
            self.numeric[s] = i;
        }
        self.code_list.push(v.to_vec());
        self.counts
            .resize(self.counts.len() + self.stride() / 2, [0, 0]);
        Ok(i)
    }

    /// Parses one record into the batch.
    pub(crate) fn parse(&mut self, rec: &impl Fields) -> Result<(), MicrodataErrorKind> {
        let plan = self.plan;
        if rec.len() != plan.fields {
            return Err(MicrodataErrorKind::FieldCount {
                found: rec.len(),
                expected: plan.fields,
            });
        }
        let area = self.area_index(rec.field(plan.area))?;
        let age_raw = rec.field(plan.age);
        let age = match age_raw {
            [] => None,
            d if d.len() <= 3 && d.iter().all(u8::is_ascii_digit) => Some(
                d.iter()
                    .fold(0usize, |acc, b| acc * 10 + (b - b'0') as usize),
            ),
            _ => None,
        }
        .filter(|&a| a <= MAX_AGE as usize)
        .ok_or_else(|| MicrodataErrorKind::ImpossibleAge {
            value: String::from_utf8_lossy(age_raw).chars().take(16).collect(),
        })?;
        let sex = match rec.field(plan.sex) {
            b"1" => 0,
            b"2" => 1,
            v => {
                return Err(MicrodataErrorKind::InvalidCode {
                    column: plan.names[plan.sex].clone(),
                    value: String::from_utf8_lossy(v).chars().take(16).collect(),
                    expected: "1 (men) or 2 (women)".into(),
                });
            }
        };
        let edu = match plan.education {
            Some(c) => code_of(rec.field(c), c, plan, EDUCATION_NAMES.len() - 1)?,
            None => 3,
        };
        let origin = match plan.origin {
            Some(c) => code_of(rec.field(c), c, plan, ORIGIN_NAMES.len() - 1)?,
            None => 3,
        };
        let mut pattern = 0u16;
        for &(col, bit) in &plan.flags {
            match rec.field(col) {
                b"0" => {}
                b"1" => pattern |= 1 << bit,
                v => {
                    return Err(MicrodataErrorKind::InvalidCode {
                        column: plan.names[col].clone(),
                        value: String::from_utf8_lossy(v).chars().take(16).collect(),
                        expected: "0 or 1".into(),
                    });
                }
            }
        }
        self.batch_area.push(area);
        self.batch_demo.push(demo_key(age, sex, edu, origin) as u16);
        self.batch_flags.push(pattern);
        Ok(())
    }

    /// Counts the batch and empties it.
    pub(crate) fn count(&mut self) {
        let plan = self.plan;
        let stride = self.stride();
        let per_cell = 2 * plan.nseg;
        for ((&a, &d), &f) in self
            .batch_area
            .iter()
            .zip(&self.batch_demo)
            .zip(&self.batch_flags)
        {
            let mut m = plan.demo_mask[d as usize] & plan.flag_mask[f as usize];
            if m == 0 {
                continue;
            }
            let base = a as usize * stride + plan.cell_of_demo[d as usize] as usize * per_cell;
            let slot = &mut self.counts.as_flattened_mut()[base..base + per_cell];
            while m != 0 {
                let b = m.trailing_zeros() as usize;
                slot[b] += 1;
                m &= m - 1;
            }
        }
        self.rows += self.batch_area.len() as u64;
        self.batch_area.clear();
        self.batch_demo.clear();
        self.batch_flags.clear();
    }

    /// Reads every record of `input` (no header), stopping at the first error or when a worker
    /// whose range starts before `start` has failed (`failed` holds the smallest failing start).
    /// Records come from [`RecordReader`]: large blocks, no per-record allocation, no UTF-8
    /// validation (fields are decoded from bytes).
    fn run<R: Read>(
        &mut self,
        input: R,
        progress: Option<&(dyn Fn(u64) + Sync)>,
        start: u64,
        failed: &AtomicU64,
    ) -> Result<(), RowError> {
        let mut rdr = RecordReader::new(input, self.plan.delimiter);
        let mut reported = 0u64;
        loop {
            let t0 = Instant::now();
            let mut done = false;
            while self.batch_area.len() < BATCH_ROWS {
                let rec = match rdr.next_record() {
                    Ok(Some(rec)) => rec,
                    Ok(None) => {
                        done = true;
                        break;
                    }
                    Err(e) => {
                        return Err(RowError {
                            offset: rdr.consumed(),
                            line: rdr.line(),
                            kind: MicrodataErrorKind::Io {
                                message: e.to_string(),
                            },
                        });
                    }
                };
                if let Err(kind) = self.parse(&rec) {
                    return Err(RowError {
                        offset: rec.offset,
                        line: rec.line,
                        kind,
                    });
                }
            }
            let t1 = Instant::now();
            self.count();
            self.parse_time += t1 - t0;
            self.count_time += t1.elapsed();
            let pos = rdr.consumed();
            if let Some(p) = progress {
                p(pos - reported);
            }
            reported = pos;
            if done || failed.load(Ordering::Relaxed) < start {
                return Ok(());
            }
        }
    }
}

/// 1-based line of a byte offset of a file (counting `\n` before it).
fn line_at(path: &Path, offset: u64) -> u64 {
    let Ok(f) = File::open(path) else { return 0 };
    let mut r = BufReader::new(f).take(offset);
    let mut buf = vec![0u8; 1 << 16];
    let mut lines = 1u64;
    while let Ok(n) = r.read(&mut buf) {
        if n == 0 {
            break;
        }
        lines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
    }
    lines
}

/// Reads the header line: returns the record, the delimiter and the byte offset after it.
fn read_header<R: BufRead>(
    input: &mut R,
) -> Result<(csv::ByteRecord, u8, u64), MicrodataErrorKind> {
    let mut first = Vec::new();
    input
        .take(1 << 16)
        .read_until(b'\n', &mut first)
        .map_err(|e| MicrodataErrorKind::Io {
            message: e.to_string(),
        })?;
    if first.len() >= 1 << 16 && first.last() != Some(&b'\n') {
        return Err(MicrodataErrorKind::Csv {
            message: "the header line is longer than 64 KiB".into(),
        });
    }
    if first.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(MicrodataErrorKind::Empty);
    }
    let delimiter = if first.contains(&b';') { b';' } else { b',' };
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .delimiter(delimiter)
        .trim(csv::Trim::All)
        .from_reader(first.as_slice());
    let mut rec = csv::ByteRecord::new();
    match rdr.read_byte_record(&mut rec) {
        Ok(true) => Ok((rec, delimiter, first.len() as u64)),
        Ok(false) => Err(MicrodataErrorKind::Empty),
        Err(e) => Err(MicrodataErrorKind::Csv {
            message: e.to_string(),
        }),
    }
}

/// Adds the workers' counts into one [`SegmentCounts`] with sorted area codes.
///
/// Memory: when a worker has seen every area (the usual case with rows in any order), its
/// count array becomes the result in place (same size: `[u32; 2]` per area, segment and cell;
/// reordered block by block) and every other worker is added and freed in turn, so the peak is
/// the workers' arrays, not the workers' arrays plus the result.
pub(crate) fn merge(mut workers: Vec<Worker<'_>>, defs: &Definitions) -> SegmentCounts {
    let nseg = defs.segments.len();
    let block = CELLS * nseg;
    let mut all: Vec<Vec<u8>> = workers
        .iter()
        .flat_map(|w| w.code_list.iter().cloned())
        .collect();
    all.sort_unstable();
    all.dedup();
    let areas: Vec<String> = all
        .iter()
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    let global = |code: &Vec<u8>| all.binary_search(code).unwrap_or(0);
    // The result's layout: [area][segment][cell] = [members, base].
    let in_result_order = |src: &[[u32; 2]], dst: &mut [[u32; 2]]| {
        for cell in 0..CELLS {
            for s in 0..nseg {
                let [base, member] = src[cell * nseg + s];
                dst[s * CELLS + cell] = [member, base];
            }
        }
    };
    let widest = (0..workers.len())
        .max_by_key(|&i| (workers[i].code_list.len(), std::cmp::Reverse(i)))
        .filter(|&i| workers[i].code_list.len() == all.len());
    let mut counts = match widest {
        Some(i) => {
            let w = workers.swap_remove(i);
            let target: Vec<usize> = w.code_list.iter().map(global).collect();
            let mut counts = w.counts;
            let mut tmp = vec![[0u32; 2]; block];
            for blk in counts.chunks_exact_mut(block.max(1)) {
                tmp.copy_from_slice(blk);
                in_result_order(&tmp, blk);
            }
            permute_blocks(&mut counts, block, &target);
            counts
        }
        None => vec![[0u32; 2]; all.len() * block],
    };
    let mut converted = vec![[0u32; 2]; block];
    for w in workers {
        for (local, code) in w.code_list.iter().enumerate() {
            let g = global(code);
            in_result_order(
                &w.counts[local * block..(local + 1) * block],
                &mut converted,
            );
            for (dst, src) in counts[g * block..(g + 1) * block]
                .iter_mut()
                .zip(&converted)
            {
                // no overflow: the caller checked that the file has < 2^32 rows
                dst[0] += src[0];
                dst[1] += src[1];
            }
        }
        // `w` (and its counts) is freed here, before the next worker is added.
    }
    SegmentCounts::from_parts(
        defs.segments.iter().map(|d| d.id.clone()).collect(),
        areas,
        counts,
    )
}

/// Moves block `i` (of `block` elements) to position `target[i]` in place (`target` is a
/// permutation), following its cycles with one block of scratch.
fn permute_blocks(v: &mut [[u32; 2]], block: usize, target: &[usize]) {
    let mut placed = vec![false; target.len()];
    let mut carry = vec![[0u32; 2]; block];
    for start in 0..target.len() {
        if placed[start] {
            continue;
        }
        if target[start] == start {
            placed[start] = true;
            continue;
        }
        carry.copy_from_slice(&v[start * block..(start + 1) * block]);
        // `carry` holds the block that belongs at `target[i]`.
        let mut i = start;
        loop {
            let dest = target[i];
            placed[dest] = true;
            v[dest * block..(dest + 1) * block].swap_with_slice(&mut carry);
            if dest == start {
                break;
            }
            i = dest;
        }
    }
}

/// Aggregates a microdata file in one pass (see the [module docs](self)): CSV, or Parquet when
/// the file starts with the magic bytes `PAR1` (or, unreadable, is named `*.parquet`; see
/// [`crate::parquet_input`]: same columns, same validation, one row group at a time per worker).
///
/// `threads` workers each read one byte range of the file (split at line ends; for Parquet, a
/// range of row groups); the counts do not depend on the number of threads. On any error,
/// nothing but the error is returned, with the 1-based line (Parquet: data row) of the first
/// offending row in file order.
pub fn aggregate_file(
    path: &Path,
    defs: &Definitions,
    options: &AggregateOptions<'_>,
) -> Result<(SegmentCounts, AggregateSummary), MicrodataError> {
    if crate::parquet_input::is_parquet(path) {
        return crate::parquet_input::aggregate_parquet(path, defs, options);
    }
    let source_name = path.display().to_string();
    let fail = |line: u64, kind: MicrodataErrorKind| MicrodataError {
        source_name: source_name.clone(),
        line,
        counts_rows: false,
        kind,
    };
    let io = |e: std::io::Error| MicrodataErrorKind::Io {
        message: e.to_string(),
    };
    let file = File::open(path).map_err(|e| fail(0, io(e)))?;
    let size = file.metadata().map_err(|e| fail(0, io(e)))?.len();
    let (header, delimiter, data_start) =
        read_header(&mut BufReader::new(&file)).map_err(|k| fail(1, k))?;
    let plan = Plan::new(&header, delimiter, defs).map_err(|k| fail(1, k))?;
    if let Some(p) = options.progress {
        p(data_start);
    }

    // Byte ranges starting at line starts.
    let threads = options.threads.clamp(1, 64);
    let mut starts = vec![data_start];
    {
        let mut f = File::open(path).map_err(|e| fail(0, io(e)))?;
        for t in 1..threads {
            let guess = data_start + (size - data_start) * t as u64 / threads as u64;
            let prev = *starts.last().unwrap_or(&data_start);
            if guess <= prev {
                continue;
            }
            f.seek(SeekFrom::Start(guess - 1))
                .map_err(|e| fail(0, io(e)))?;
            let mut r = BufReader::new(&mut f);
            let mut pos = guess - 1;
            let mut b = [0u8; 1];
            loop {
                match r.read(&mut b) {
                    Ok(0) => {
                        pos = size;
                        break;
                    }
                    Ok(_) => {
                        pos += 1;
                        if b[0] == b'\n' {
                            break;
                        }
                    }
                    Err(e) => return Err(fail(0, io(e))),
                }
            }
            if pos < size && pos > prev {
                starts.push(pos);
            }
        }
    }
    let mut ranges: Vec<(u64, u64)> = starts.windows(2).map(|w| (w[0], w[1])).collect();
    ranges.push((*starts.last().unwrap_or(&data_start), size));

    let failed = AtomicU64::new(u64::MAX);
    let plan_ref = &plan;
    let progress = options.progress;
    let results: Vec<(Worker<'_>, Result<(), RowError>, u64)> = std::thread::scope(|scope| {
        let handles: Vec<_> = ranges
            .iter()
            .map(|&(start, end)| {
                let failed = &failed;
                scope.spawn(move || {
                    let mut w = Worker::new(plan_ref);
                    let res = File::open(path)
                        .and_then(|mut f| f.seek(SeekFrom::Start(start)).map(|_| f))
                        .map_err(|e| RowError {
                            offset: 0,
                            line: 0,
                            kind: io(e),
                        })
                        .and_then(|f| w.run(f.take(end - start), progress, start, failed));
                    if res.is_err() {
                        failed.fetch_min(start, Ordering::Relaxed);
                    }
                    (w, res, start)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    (
                        Worker::new(plan_ref),
                        Err(RowError {
                            offset: 0,
                            line: 0,
                            kind: MicrodataErrorKind::Io {
                                message: "a worker thread panicked".into(),
                            },
                        }),
                        0,
                    )
                })
            })
            .collect()
    });
    // The first error in file order: a worker stops early only when a worker of an earlier range
    // has failed, so every range before the first failing one was read to its end.
    if let Some((start, err)) = results
        .iter()
        .filter_map(|(_, r, start)| r.as_ref().err().map(|e| (*start, e)))
        .min_by_key(|(start, e)| start + e.offset)
    {
        let abs = start + err.offset;
        return Err(fail(line_at(path, abs), err.kind.clone()));
    }
    let mut summary = AggregateSummary {
        bytes: size,
        threads: ranges.len(),
        ..AggregateSummary::default()
    };
    let mut workers = Vec::new();
    for (w, _, _) in results {
        summary.rows += w.rows;
        summary.parse_time += w.parse_time;
        summary.count_time += w.count_time;
        workers.push(w);
    }
    if summary.rows > MAX_ROWS {
        return Err(fail(0, MicrodataErrorKind::TooManyRows { max: MAX_ROWS }));
    }
    let t = Instant::now();
    let counts = merge(workers, defs);
    summary.merge_time = t.elapsed();
    summary.areas = counts.areas().len();
    Ok((counts, summary))
}

/// Aggregates microdata from any reader (e.g. standard input) on the calling thread.
/// Errors name `source_name` and the 1-based line.
pub fn aggregate_reader<R: Read>(
    source_name: &str,
    input: R,
    defs: &Definitions,
) -> Result<(SegmentCounts, AggregateSummary), MicrodataError> {
    let fail = |line: u64, kind: MicrodataErrorKind| MicrodataError {
        source_name: source_name.to_string(),
        line,
        counts_rows: false,
        kind,
    };
    let mut input = BufReader::new(input);
    let (header, delimiter, _) = read_header(&mut input).map_err(|k| fail(1, k))?;
    let plan = Plan::new(&header, delimiter, defs).map_err(|k| fail(1, k))?;
    let mut w = Worker::new(&plan);
    let failed = AtomicU64::new(u64::MAX);
    let mut counting = CountingReader {
        inner: input,
        bytes: 0,
    };
    if let Err(e) = w.run(&mut counting, None, 0, &failed) {
        // csv counts lines from the first data line; the header is line 1.
        return Err(fail(e.line + 1, e.kind));
    }
    if w.rows > MAX_ROWS {
        return Err(fail(0, MicrodataErrorKind::TooManyRows { max: MAX_ROWS }));
    }
    let mut summary = AggregateSummary {
        rows: w.rows,
        bytes: counting.bytes,
        threads: 1,
        parse_time: w.parse_time,
        count_time: w.count_time,
        ..AggregateSummary::default()
    };
    let counts = merge(vec![w], defs);
    summary.areas = counts.areas().len();
    Ok((counts, summary))
}

/// Counts the bytes read.
struct CountingReader<R> {
    inner: R,
    bytes: u64,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_slots_are_distinct_for_every_code_of_one_to_four_digits() {
        let mut seen = vec![false; NUMERIC_SLOTS];
        for len in 1..=4u32 {
            for n in 0..10usize.pow(len) {
                let code = format!("{n:0width$}", width = len as usize);
                let s = numeric_slot(code.as_bytes()).unwrap();
                assert!(!seen[s], "{code} shares slot {s}");
                seen[s] = true;
            }
        }
        assert!(seen.iter().all(|&x| x), "every slot used once");
        for other in ["", "12345", "7a", "-1", " 7", "7-B"] {
            assert_eq!(numeric_slot(other.as_bytes()), None, "{other:?}");
        }
    }

    #[test]
    fn blocks_move_to_their_targets_in_place() {
        // Every permutation of 5 blocks of 2 elements.
        fn perms(n: usize) -> Vec<Vec<usize>> {
            if n == 0 {
                return vec![vec![]];
            }
            let mut out = Vec::new();
            for p in perms(n - 1) {
                for at in 0..=p.len() {
                    let mut q = p.clone();
                    q.insert(at, n - 1);
                    out.push(q);
                }
            }
            out
        }
        for target in perms(5) {
            let mut v: Vec<[u32; 2]> = (0..10u32).map(|i| [i, 100 + i]).collect();
            permute_blocks(&mut v, 2, &target);
            for (i, &t) in target.iter().enumerate() {
                let i = i as u32;
                assert_eq!(
                    &v[2 * t..2 * t + 2],
                    &[[2 * i, 100 + 2 * i], [2 * i + 1, 101 + 2 * i]]
                );
            }
        }
    }

    #[test]
    fn codes_that_differ_only_by_leading_zeros_are_different_areas() {
        let defs = Definitions::from_toml(
            "t.toml",
            r#"
[definitions]
name = "t"
version = "1"
description = "t"

[[segments]]
id = "adults"
label = "adults"
description = "t"
base_label = "everyone"
base = { age = [0, 125] }
conditions = { age = [18, 125] }
"#,
        )
        .unwrap();
        let text = "area_code,age,sex\n7,30,1\n07,30,1\n007,10,2\n7,40,2\n0007,50,1\n70001,1,1\n";
        let (counts, _) = aggregate_reader("t.csv", text.as_bytes(), &defs).unwrap();
        assert_eq!(counts.areas(), ["0007", "007", "07", "7", "70001"]);
        let totals: Vec<[u64; 2]> = (0..5).map(|a| counts.total(a, 0)).collect();
        assert_eq!(totals, [[1, 1], [0, 1], [1, 1], [2, 2], [0, 1]]);
    }
}
