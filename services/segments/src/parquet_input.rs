//! Parquet microdata: the same columns and the same validation as CSV, streamed one row group
//! at a time per worker with the `parquet` crate's column readers.
//!
//! Column names are checked exactly as a CSV header (a CPR-like or unknown column rejects the
//! file), and values are checked exactly as CSV fields: each value is written in its CSV text
//! form (integers in decimal, booleans as `1`/`0`, a whole float as an integer, a null as an
//! empty field, strings as they are) and handed to the same row parser, so an impossible age,
//! an invalid code or a CPR-like area code is rejected with the same message, naming the
//! 1-based data row. Accepted physical types: BOOLEAN, INT32, INT64, FLOAT, DOUBLE and
//! BYTE_ARRAY (strings); nested or repeated columns are rejected.
//!
//! Memory: each worker holds one row group's column readers (which read pages on demand) and
//! one batch of at most [`PARQUET_BATCH_ROWS`] rows as text; row groups are split among the workers in
//! contiguous ranges, and the first error in file order wins, as for CSV.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use parquet::basic::{Compression, Repetition, Type as PhysicalType};
use parquet::column::reader::{ColumnReader, ColumnReaderImpl};
use parquet::data_type::{ByteArray, DataType};
use parquet::file::properties::WriterProperties;
use parquet::file::reader::FileReader;
use parquet::file::serialized_reader::SerializedFileReader;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::Type as SchemaType;

use crate::counts::SegmentCounts;
use crate::definition::Definitions;
use crate::error::{MicrodataError, MicrodataErrorKind};
use crate::microdata::{
    AggregateOptions, AggregateSummary, BATCH_ROWS, MAX_ROWS, Plan, Worker, merge,
};
use crate::records::Fields;

/// Rows decoded per batch: the batch's text columns stay in the cache while its rows are
/// parsed (at most [`BATCH_ROWS`], the worker's batch).
pub const PARQUET_BATCH_ROWS: usize = if BATCH_ROWS < 4096 { BATCH_ROWS } else { 4096 };

/// The magic bytes at the start (and end) of every Parquet file.
pub const PARQUET_MAGIC: &[u8; 4] = b"PAR1";

/// Whether a file is Parquet: it starts with `PAR1`, or (when it cannot be read) its name ends
/// in `.parquet`.
pub fn is_parquet(path: &Path) -> bool {
    use std::io::Read;
    let mut magic = [0u8; 4];
    match File::open(path).and_then(|mut f| f.read_exact(&mut magic)) {
        Ok(()) => &magic == PARQUET_MAGIC,
        Err(_) => path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("parquet")),
    }
}

fn parquet_error(e: parquet::errors::ParquetError) -> MicrodataErrorKind {
    MicrodataErrorKind::Parquet {
        message: e.to_string(),
    }
}

/// One column's values of a batch in CSV text form: value `i` is `bytes[ends[i−1]..ends[i]]`.
#[derive(Default)]
struct TextColumn {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl TextColumn {
    fn field(&self, i: usize) -> &[u8] {
        let from = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.bytes[from..self.ends[i]]
    }

    fn push_int(&mut self, v: i64) {
        if (0..10).contains(&v) {
            self.bytes.push(b'0' + v as u8);
            self.ends.push(self.bytes.len());
            return;
        }
        let mut digits = [0u8; 20];
        let mut n = v.unsigned_abs();
        let mut at = digits.len();
        loop {
            at -= 1;
            digits[at] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        if v < 0 {
            self.bytes.push(b'-');
        }
        self.bytes.extend_from_slice(&digits[at..]);
        self.ends.push(self.bytes.len());
    }

    fn push_float(&mut self, v: f64) {
        if v.is_finite() && v.fract() == 0.0 && v.abs() < 1e15 {
            self.push_int(v as i64);
        } else {
            self.push_bytes(v.to_string().as_bytes());
        }
    }

    fn push_bytes(&mut self, v: &[u8]) {
        self.bytes.extend_from_slice(v);
        self.ends.push(self.bytes.len());
    }
}

/// Row `r` of a batch of text columns.
struct Row<'a> {
    columns: &'a [TextColumn],
    r: usize,
}

impl Fields for Row<'_> {
    fn len(&self) -> usize {
        self.columns.len()
    }

    fn field(&self, i: usize) -> &[u8] {
        self.columns[i].field(self.r)
    }
}

/// Typed buffers reused across batches.
#[derive(Default)]
struct Buffers {
    defs: Vec<i16>,
    bools: Vec<bool>,
    i32s: Vec<i32>,
    i64s: Vec<i64>,
    f32s: Vec<f32>,
    f64s: Vec<f64>,
    bytes: Vec<ByteArray>,
}

/// Reads `want` records of a column into `out` as text (nulls as empty fields).
fn read_values<T: DataType>(
    reader: &mut ColumnReaderImpl<T>,
    want: usize,
    nullable: bool,
    defs: &mut Vec<i16>,
    values: &mut Vec<T::T>,
) -> Result<usize, MicrodataErrorKind> {
    defs.clear();
    values.clear();
    let mut got = 0;
    while got < want {
        let (records, _, _) = reader
            .read_records(
                want - got,
                if nullable { Some(&mut *defs) } else { None },
                None,
                values,
            )
            .map_err(parquet_error)?;
        if records == 0 {
            break;
        }
        got += records;
    }
    Ok(got)
}

/// Decodes `want` rows of one column into `out`.
fn decode(
    reader: &mut ColumnReader,
    want: usize,
    max_def: i16,
    buf: &mut Buffers,
    out: &mut TextColumn,
) -> Result<usize, MicrodataErrorKind> {
    out.bytes.clear();
    out.ends.clear();
    let nullable = max_def > 0;
    // Writes the text of every row: the next value where the row is defined, else nothing.
    fn emit<V>(
        got: usize,
        nullable: bool,
        max_def: i16,
        defs: &[i16],
        values: &[V],
        out: &mut TextColumn,
        mut push: impl FnMut(&mut TextColumn, &V),
    ) {
        if !nullable {
            for v in &values[..got] {
                push(out, v);
            }
            return;
        }
        let mut next = values.iter();
        for &d in &defs[..got] {
            // A defined row takes the next value; a null is an empty field.
            match (d == max_def).then(|| next.next()).flatten() {
                Some(v) => push(out, v),
                None => out.ends.push(out.bytes.len()),
            }
        }
    }
    let got = match reader {
        ColumnReader::BoolColumnReader(r) => {
            let got = read_values(r, want, nullable, &mut buf.defs, &mut buf.bools)?;
            emit(
                got,
                nullable,
                max_def,
                &buf.defs,
                &buf.bools,
                out,
                |o, &v| o.push_bytes(if v { b"1" } else { b"0" }),
            );
            got
        }
        ColumnReader::Int32ColumnReader(r) => {
            let got = read_values(r, want, nullable, &mut buf.defs, &mut buf.i32s)?;
            emit(
                got,
                nullable,
                max_def,
                &buf.defs,
                &buf.i32s,
                out,
                |o, &v| o.push_int(v as i64),
            );
            got
        }
        ColumnReader::Int64ColumnReader(r) => {
            let got = read_values(r, want, nullable, &mut buf.defs, &mut buf.i64s)?;
            emit(
                got,
                nullable,
                max_def,
                &buf.defs,
                &buf.i64s,
                out,
                |o, &v| o.push_int(v),
            );
            got
        }
        ColumnReader::FloatColumnReader(r) => {
            let got = read_values(r, want, nullable, &mut buf.defs, &mut buf.f32s)?;
            emit(
                got,
                nullable,
                max_def,
                &buf.defs,
                &buf.f32s,
                out,
                |o, &v| o.push_float(v as f64),
            );
            got
        }
        ColumnReader::DoubleColumnReader(r) => {
            let got = read_values(r, want, nullable, &mut buf.defs, &mut buf.f64s)?;
            emit(
                got,
                nullable,
                max_def,
                &buf.defs,
                &buf.f64s,
                out,
                |o, &v| o.push_float(v),
            );
            got
        }
        ColumnReader::ByteArrayColumnReader(r) => {
            let got = read_values(r, want, nullable, &mut buf.defs, &mut buf.bytes)?;
            emit(
                got,
                nullable,
                max_def,
                &buf.defs,
                &buf.bytes,
                out,
                |o, v| o.push_bytes(v.data()),
            );
            got
        }
        // Rejected by `check_schema` before any reader is made.
        ColumnReader::Int96ColumnReader(_) | ColumnReader::FixedLenByteArrayColumnReader(_) => 0,
    };
    Ok(got)
}

/// Column names of a flat schema of supported types, in file order.
fn check_schema(
    reader: &SerializedFileReader<File>,
) -> Result<(Vec<String>, Vec<i16>), MicrodataErrorKind> {
    let schema = reader.metadata().file_metadata().schema_descr();
    let mut names = Vec::new();
    let mut max_defs = Vec::new();
    for col in schema.columns() {
        let name = col.path().string();
        if col.path().parts().len() != 1 || col.max_rep_level() > 0 {
            return Err(MicrodataErrorKind::UnsupportedColumn {
                column: name,
                found: "a nested or repeated column".into(),
                expected: "one flat value per row".into(),
            });
        }
        match col.physical_type() {
            PhysicalType::BOOLEAN
            | PhysicalType::INT32
            | PhysicalType::INT64
            | PhysicalType::FLOAT
            | PhysicalType::DOUBLE
            | PhysicalType::BYTE_ARRAY => {}
            other => {
                return Err(MicrodataErrorKind::UnsupportedColumn {
                    column: name,
                    found: format!("of Parquet type {other}"),
                    expected: "BOOLEAN, INT32, INT64, FLOAT, DOUBLE or a string".into(),
                });
            }
        }
        names.push(name);
        max_defs.push(col.max_def_level());
    }
    Ok((names, max_defs))
}

/// A worker's failure: the 0-based row in the file and the kind.
struct RowFailure {
    row: u64,
    kind: MicrodataErrorKind,
}

/// Reads row groups `groups` (with the file row of their first row) into `w`.
#[allow(clippy::too_many_arguments)]
fn run_groups(
    w: &mut Worker<'_>,
    path: &Path,
    groups: &[(usize, u64)],
    max_defs: &[i16],
    progress: Option<&(dyn Fn(u64) + Sync)>,
    failed: &AtomicU64,
    start_row: u64,
) -> Result<(), RowFailure> {
    let at_file = |kind| RowFailure {
        row: start_row,
        kind,
    };
    let file = File::open(path).map_err(|e| {
        at_file(MicrodataErrorKind::Io {
            message: e.to_string(),
        })
    })?;
    let reader = SerializedFileReader::new(file).map_err(|e| at_file(parquet_error(e)))?;
    let ncol = max_defs.len();
    let mut buf = Buffers::default();
    let mut text: Vec<TextColumn> = (0..ncol).map(|_| TextColumn::default()).collect();
    for &(g, first_row) in groups {
        if failed.load(Ordering::Relaxed) < start_row {
            return Ok(());
        }
        let rg = reader
            .get_row_group(g)
            .map_err(|e| at_file(parquet_error(e)))?;
        let rows = rg.metadata().num_rows().max(0) as u64;
        let mut columns = (0..ncol)
            .map(|c| rg.get_column_reader(c))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| RowFailure {
                row: first_row,
                kind: parquet_error(e),
            })?;
        let mut done = 0u64;
        while done < rows {
            let t0 = Instant::now();
            let want = (rows - done).min(PARQUET_BATCH_ROWS as u64) as usize;
            let batch_row = first_row + done;
            for c in 0..ncol {
                let got = decode(&mut columns[c], want, max_defs[c], &mut buf, &mut text[c])
                    .map_err(|kind| RowFailure {
                        row: batch_row,
                        kind,
                    })?;
                if got != want {
                    return Err(RowFailure {
                        row: batch_row + got as u64,
                        kind: MicrodataErrorKind::Parquet {
                            message: format!(
                                "row group {g}: a column has {} rows, the row group {rows}",
                                done + got as u64
                            ),
                        },
                    });
                }
            }
            for r in 0..want {
                w.parse(&Row { columns: &text, r })
                    .map_err(|kind| RowFailure {
                        row: batch_row + r as u64,
                        kind,
                    })?;
            }
            w.parse_time += t0.elapsed();
            // Counted in the worker's full batches, as for CSV.
            if w.batch_area.len() + PARQUET_BATCH_ROWS > BATCH_ROWS {
                let t1 = Instant::now();
                w.count();
                w.count_time += t1.elapsed();
            }
            done += want as u64;
        }
        if let Some(p) = progress {
            p(rg.metadata().compressed_size().max(0) as u64);
        }
    }
    let t1 = Instant::now();
    w.count();
    w.count_time += t1.elapsed();
    Ok(())
}

/// Aggregates a Parquet microdata file (see the [module docs](self)); called by
/// [`crate::aggregate_file`] for Parquet input. Errors name the 1-based data row.
pub(crate) fn aggregate_parquet(
    path: &Path,
    defs: &Definitions,
    options: &AggregateOptions<'_>,
) -> Result<(SegmentCounts, AggregateSummary), MicrodataError> {
    let source_name = path.display().to_string();
    let fail = |row: u64, kind: MicrodataErrorKind| MicrodataError {
        source_name: source_name.clone(),
        line: row,
        counts_rows: true,
        kind,
    };
    let file = File::open(path).map_err(|e| {
        fail(
            0,
            MicrodataErrorKind::Io {
                message: e.to_string(),
            },
        )
    })?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let reader = SerializedFileReader::new(file).map_err(|e| fail(0, parquet_error(e)))?;
    let (names, max_defs) = check_schema(&reader).map_err(|k| fail(0, k))?;
    let plan = Plan::from_names(names, b',', defs).map_err(|k| fail(0, k))?;
    let meta = reader.metadata();
    let total_rows: u64 = meta.file_metadata().num_rows().max(0) as u64;
    if total_rows > MAX_ROWS {
        return Err(fail(0, MicrodataErrorKind::TooManyRows { max: MAX_ROWS }));
    }
    // Row groups with their first row, split into contiguous ranges of about equal rows.
    let mut groups = Vec::with_capacity(meta.num_row_groups());
    let mut row = 0u64;
    for g in 0..meta.num_row_groups() {
        groups.push((g, row));
        row += meta.row_group(g).num_rows().max(0) as u64;
    }
    drop(reader);
    let threads = options.threads.clamp(1, 64).min(groups.len().max(1));
    let mut ranges: Vec<&[(usize, u64)]> = Vec::with_capacity(threads);
    let mut from = 0;
    for t in 1..=threads {
        let target = row * t as u64 / threads as u64;
        let mut to = from;
        while to < groups.len() && (t == threads || groups[to].1 < target) {
            to += 1;
        }
        if to > from {
            ranges.push(&groups[from..to]);
        }
        from = to;
    }
    let failed = AtomicU64::new(u64::MAX);
    let plan_ref = &plan;
    let max_defs = &max_defs;
    let progress = options.progress;
    let results: Vec<(Worker<'_>, Result<(), RowFailure>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = ranges
            .iter()
            .map(|&range| {
                let failed = &failed;
                scope.spawn(move || {
                    let mut w = Worker::new(plan_ref);
                    let start_row = range.first().map_or(0, |g| g.1);
                    let res =
                        run_groups(&mut w, path, range, max_defs, progress, failed, start_row);
                    if let Err(f) = &res {
                        failed.fetch_min(f.row, Ordering::Relaxed);
                    }
                    (w, res)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    (
                        Worker::new(plan_ref),
                        Err(RowFailure {
                            row: 0,
                            kind: MicrodataErrorKind::Io {
                                message: "a worker thread panicked".into(),
                            },
                        }),
                    )
                })
            })
            .collect()
    });
    // The first error in file order (a worker stops early only after an earlier one failed).
    if let Some(f) = results
        .iter()
        .filter_map(|(_, r)| r.as_ref().err())
        .min_by_key(|f| f.row)
    {
        return Err(fail(f.row + 1, f.kind.clone()));
    }
    let mut summary = AggregateSummary {
        bytes: size,
        threads: ranges.len().max(1),
        ..AggregateSummary::default()
    };
    let mut workers = Vec::new();
    for (w, _) in results {
        summary.rows += w.rows;
        summary.parse_time += w.parse_time;
        summary.count_time += w.count_time;
        workers.push(w);
    }
    if workers.is_empty() {
        workers.push(Worker::new(&plan));
    }
    let t = Instant::now();
    let counts = merge(workers, defs);
    summary.merge_time = t.elapsed();
    summary.areas = counts.areas().len();
    Ok((counts, summary))
}

/// Writes microdata CSV (the format of [`crate::aggregate_file`], `;` or `,`) as Parquet with
/// the same columns: `area_code` as a string, every other column as a nullable INT32 (an empty field is
/// a null), Snappy-compressed, `row_group_rows` rows per row group. For tests, benchmarks and
/// converting files; the CSV is read as text only (no validation beyond integers: a value that
/// is not an integer is an error naming its line).
pub fn csv_to_parquet(
    csv_path: &Path,
    parquet_path: &Path,
    row_group_rows: usize,
) -> Result<u64, MicrodataError> {
    let source_name = csv_path.display().to_string();
    let fail = |line: u64, kind: MicrodataErrorKind| MicrodataError {
        source_name: source_name.clone(),
        line,
        counts_rows: false,
        kind,
    };
    let io = |e: std::io::Error| MicrodataErrorKind::Io {
        message: e.to_string(),
    };
    // The delimiter as `aggregate_file` takes it: `;` when the header has one.
    let first_line = {
        use std::io::{BufRead, Read};
        let mut line = Vec::new();
        let f = File::open(csv_path).map_err(|e| fail(0, io(e)))?;
        std::io::BufReader::new(f)
            .take(1 << 16)
            .read_until(b'\n', &mut line)
            .map_err(|e| fail(1, io(e)))?;
        line
    };
    let delimiter = if first_line.contains(&b';') {
        b';'
    } else {
        b','
    };
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .delimiter(delimiter)
        .from_path(csv_path)
        .map_err(|e| {
            fail(
                0,
                MicrodataErrorKind::Csv {
                    message: e.to_string(),
                },
            )
        })?;
    let header: Vec<String> = rdr
        .headers()
        .map_err(|e| {
            fail(
                1,
                MicrodataErrorKind::Csv {
                    message: e.to_string(),
                },
            )
        })?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').trim().to_string())
        .collect();
    let fields = header
        .iter()
        .map(|name| {
            let (ty, rep) = if name == "area_code" {
                (PhysicalType::BYTE_ARRAY, Repetition::REQUIRED)
            } else {
                (PhysicalType::INT32, Repetition::OPTIONAL)
            };
            let mut b = SchemaType::primitive_type_builder(name, ty).with_repetition(rep);
            if ty == PhysicalType::BYTE_ARRAY {
                b = b.with_logical_type(Some(parquet::basic::LogicalType::String));
            }
            b.build().map(Arc::new)
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| fail(1, parquet_error(e)))?;
    let schema = SchemaType::group_type_builder("microdata")
        .with_fields(fields)
        .build()
        .map_err(|e| fail(1, parquet_error(e)))?;
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build();
    let out = File::create(parquet_path).map_err(|e| fail(0, io(e)))?;
    let mut writer = SerializedFileWriter::new(out, Arc::new(schema), Arc::new(props))
        .map_err(|e| fail(0, parquet_error(e)))?;
    let ncol = header.len();
    let row_group_rows = row_group_rows.max(1);
    let mut areas: Vec<ByteArray> = Vec::new();
    let mut ints: Vec<Vec<i32>> = vec![Vec::new(); ncol];
    let mut defs: Vec<Vec<i16>> = vec![Vec::new(); ncol];
    let (mut rows, mut pending) = (0u64, 0usize);
    let mut rec = csv::StringRecord::new();
    let mut flush = |areas: &mut Vec<ByteArray>,
                     ints: &mut Vec<Vec<i32>>,
                     defs: &mut Vec<Vec<i16>>|
     -> Result<(), parquet::errors::ParquetError> {
        let mut rg = writer.next_row_group()?;
        let mut c = 0;
        while let Some(mut col) = rg.next_column()? {
            if header[c] == "area_code" {
                col.typed::<parquet::data_type::ByteArrayType>()
                    .write_batch(areas, None, None)?;
            } else {
                col.typed::<parquet::data_type::Int32Type>().write_batch(
                    &ints[c],
                    Some(&defs[c]),
                    None,
                )?;
            }
            col.close()?;
            c += 1;
        }
        rg.close()?;
        areas.clear();
        ints.iter_mut().for_each(Vec::clear);
        defs.iter_mut().for_each(Vec::clear);
        Ok(())
    };
    loop {
        match rdr.read_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                return Err(fail(
                    line,
                    MicrodataErrorKind::Csv {
                        message: e.to_string(),
                    },
                ));
            }
        }
        let line = rec.position().map_or(0, |p| p.line());
        for (c, name) in header.iter().enumerate() {
            let v = rec.get(c).unwrap_or("");
            if name == "area_code" {
                areas.push(ByteArray::from(v.as_bytes().to_vec()));
            } else if v.is_empty() {
                defs[c].push(0);
            } else {
                let x: i32 = v.parse().map_err(|_| {
                    fail(
                        line,
                        MicrodataErrorKind::Csv {
                            message: format!("column '{name}': '{v}' is not an integer"),
                        },
                    )
                })?;
                ints[c].push(x);
                defs[c].push(1);
            }
        }
        rows += 1;
        pending += 1;
        if pending >= row_group_rows {
            pending = 0;
            flush(&mut areas, &mut ints, &mut defs).map_err(|e| fail(line, parquet_error(e)))?;
        }
    }
    if pending > 0 {
        flush(&mut areas, &mut ints, &mut defs).map_err(|e| fail(0, parquet_error(e)))?;
    }
    writer.close().map_err(|e| fail(0, parquet_error(e)))?;
    Ok(rows)
}
