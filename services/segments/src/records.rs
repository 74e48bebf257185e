//! Splitting a byte stream of CSV data into records, fast.
//!
//! [`RecordReader`] reads large blocks and yields one record at a time as fields (byte slices),
//! with the byte offset and line of the record's first byte. Records are exactly those the
//! `csv` crate reads with its defaults (`"` quotes with doubled `""` inside, no escape byte, no
//! comments, `\n`, `\r` or `\r\n` ending a record, blank lines skipped):
//!
//! - a record whose bytes contain no `"` is split directly: it ends at the first `\n` or `\r`
//!   and its fields are the pieces between delimiters — which is what `csv_core`'s automaton
//!   does on such bytes, since only a quote can take it out of its unquoted states;
//! - any other record (or one longer than a block) is parsed by `csv_core` itself.
//!
//! The property test in this module checks the equivalence with the `csv` crate on random
//! inputs made of delimiters, quotes, line ends and text, with tiny blocks so that records
//! straddle block boundaries.

use std::io::Read;

use csv_core::ReadRecordResult;

/// Bytes per block.
pub(crate) const BLOCK: usize = 1 << 18;

/// One record: its fields, where it starts (byte offset in the input) and its 1-based line.
pub(crate) struct Record<'a> {
    /// Field bytes (unquoted).
    data: &'a [u8],
    /// End of each field in `data`.
    ends: &'a [usize],
    /// Bytes between fields in `data` (1 = a delimiter when split directly, 0 for csv_core's
    /// output).
    gap: usize,
    /// Byte offset of the record's first byte in the input.
    pub offset: u64,
    /// 1-based line of the record's first byte.
    pub line: u64,
}

/// A row as fields of bytes in their CSV text form (a CSV record, or a Parquet row written as
/// text).
pub(crate) trait Fields {
    /// Number of fields.
    fn len(&self) -> usize;
    /// Field `i` (`i < len()`).
    fn field(&self, i: usize) -> &[u8];
}

impl Fields for Record<'_> {
    fn len(&self) -> usize {
        self.ends.len()
    }

    fn field(&self, i: usize) -> &[u8] {
        let from = if i == 0 {
            0
        } else {
            self.ends[i - 1] + self.gap
        };
        &self.data[from..self.ends[i]]
    }
}

/// Where the fields of the last record are.
#[derive(Clone, Copy)]
enum Source {
    /// `buf[from..]`, split at `ends` (each followed by a delimiter).
    Direct { from: usize },
    /// `out`, split at `ends` (csv_core's unquoted output).
    Parsed,
}

/// Reads CSV records from a byte stream (see the [module docs](self)).
pub(crate) struct RecordReader<R> {
    input: R,
    delimiter: u8,
    core: csv_core::Reader,
    buf: Vec<u8>,
    pos: usize,
    filled: usize,
    /// No more bytes after `buf[..filled]`.
    input_done: bool,
    /// Index in `buf` of the first `"` at or after `pos` (`filled` when none).
    next_quote: usize,
    out: Vec<u8>,
    ends: Vec<usize>,
    source: Source,
    /// Bytes consumed before `buf[pos]`.
    consumed: u64,
    /// `\n` bytes consumed.
    newlines: u64,
}

impl<R: Read> RecordReader<R> {
    /// A reader of `input` (no header handling) with the given delimiter.
    pub fn new(input: R, delimiter: u8) -> RecordReader<R> {
        RecordReader::with_block(input, delimiter, BLOCK)
    }

    /// A reader with a given block size (tests use tiny ones).
    pub fn with_block(input: R, delimiter: u8, block: usize) -> RecordReader<R> {
        let mut core = csv_core::ReaderBuilder::new().delimiter(delimiter).build();
        // Mark the reader as started so that it never strips a byte-order mark from a record
        // (the header, read elsewhere, is where a BOM may be): a blank line is skipped.
        let _ = core.read_record(b"\n", &mut [0u8; 1], &mut [0usize; 1]);
        RecordReader {
            input,
            delimiter,
            core,
            buf: vec![0; block.max(1)],
            pos: 0,
            filled: 0,
            input_done: false,
            next_quote: 0,
            out: vec![0; 256],
            ends: Vec::with_capacity(32),
            source: Source::Parsed,
            consumed: 0,
            newlines: 0,
        }
    }

    /// Bytes consumed so far (records returned and the blank lines before the next one).
    pub fn consumed(&self) -> u64 {
        self.consumed
    }

    /// The 1-based line of the next unconsumed byte.
    pub fn line(&self) -> u64 {
        self.newlines + 1
    }

    /// Moves the unconsumed bytes to the front and reads more; returns false at the end.
    fn refill(&mut self) -> std::io::Result<bool> {
        if self.input_done {
            return Ok(false);
        }
        self.buf.copy_within(self.pos..self.filled, 0);
        self.filled -= self.pos;
        self.pos = 0;
        let mut n = self.filled;
        while n < self.buf.len() {
            match self.input.read(&mut self.buf[n..]) {
                Ok(0) => {
                    self.input_done = true;
                    break;
                }
                Ok(k) => n += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        let grew = n > self.filled;
        self.filled = n;
        self.next_quote = memchr::memchr(b'"', &self.buf[..self.filled]).unwrap_or(self.filled);
        Ok(grew)
    }

    /// Consumes `n` bytes holding `newlines` `\n` bytes.
    fn advance(&mut self, n: usize, newlines: u64) {
        self.newlines += newlines;
        self.pos += n;
        self.consumed += n as u64;
        if self.pos > self.next_quote {
            self.next_quote = memchr::memchr(b'"', &self.buf[self.pos..self.filled])
                .map_or(self.filled, |i| self.pos + i);
        }
    }

    /// The next record, or `None` at the end of the input.
    pub fn next_record(&mut self) -> std::io::Result<Option<Record<'_>>> {
        // Skip blank lines (line ends at the start of a record), refilling as needed.
        loop {
            let (mut skip, mut newlines) = (0, 0);
            for &b in &self.buf[self.pos..self.filled] {
                match b {
                    b'\n' => newlines += 1,
                    b'\r' => {}
                    _ => break,
                }
                skip += 1;
            }
            self.advance(skip, newlines);
            if self.pos < self.filled {
                break;
            }
            if !self.refill()? {
                return Ok(None);
            }
        }
        let (offset, line) = (self.consumed, self.newlines + 1);
        loop {
            let rest = &self.buf[self.pos..self.filled];
            let end = memchr::memchr2(b'\n', b'\r', rest);
            let line_len = end.unwrap_or(rest.len());
            if self.pos + line_len <= self.next_quote && (end.is_some() || self.input_done) {
                // No quote up to the line end: split directly.
                self.ends.clear();
                let d = self.delimiter;
                for (i, &b) in rest[..line_len].iter().enumerate() {
                    if b == d {
                        self.ends.push(i);
                    }
                }
                self.ends.push(line_len);
                self.source = Source::Direct { from: self.pos };
                // The terminator itself (a `\n` after a `\r` is skipped as a blank line).
                let nl = end.is_some_and(|i| rest[i] == b'\n');
                self.advance(line_len + usize::from(end.is_some()), u64::from(nl));
                break;
            }
            if end.is_none() && !self.input_done && self.pos > 0 {
                // The line may continue in the next block.
                self.refill()?;
                continue;
            }
            // Quotes, or a line longer than a block: csv_core.
            self.parse_with_core()?;
            break;
        }
        let (data, from, gap) = match self.source {
            Source::Direct { from } => (&self.buf[..], from, 1),
            Source::Parsed => (&self.out[..], 0, 0),
        };
        Ok(Some(Record {
            data: &data[from..],
            ends: &self.ends,
            gap,
            offset,
            line,
        }))
    }

    /// Parses one record (known to be there) with csv_core into `out` and `ends`.
    fn parse_with_core(&mut self) -> std::io::Result<()> {
        let (mut nout, mut nend) = (0usize, 0usize);
        // (nout only moves the output window; the ends are relative to the record.)
        self.ends.clear();
        self.ends.resize(16, 0);
        loop {
            let input = &self.buf[self.pos..self.filled];
            let (res, nin, o, e) =
                self.core
                    .read_record(input, &mut self.out[nout..], &mut self.ends[nend..]);
            let newlines = memchr::memchr_iter(b'\n', &input[..nin]).count() as u64;
            self.advance(nin, newlines);
            nout += o;
            nend += e;
            match res {
                // At the end of the input the next call gets an empty slice, which tells
                // csv_core to finish the record.
                ReadRecordResult::InputEmpty => {
                    if self.pos == self.filled {
                        self.refill()?;
                    }
                }
                ReadRecordResult::OutputFull => {
                    let n = self.out.len() * 2;
                    self.out.resize(n, 0);
                }
                ReadRecordResult::OutputEndsFull => {
                    let n = self.ends.len() * 2;
                    self.ends.resize(n, 0);
                }
                ReadRecordResult::Record | ReadRecordResult::End => break,
            }
        }
        self.ends.truncate(nend);
        self.source = Source::Parsed;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Records as the `csv` crate reads them (defaults, flexible).
    fn with_csv(input: &[u8], delimiter: u8) -> Vec<Vec<Vec<u8>>> {
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(input);
        rdr.byte_records()
            .map(|r| r.unwrap().iter().map(<[u8]>::to_vec).collect())
            .collect()
    }

    /// Records, offsets and lines from a [`RecordReader`] with a given block size.
    fn with_reader(input: &[u8], delimiter: u8, block: usize) -> Vec<(Vec<Vec<u8>>, u64, u64)> {
        let mut r = RecordReader::with_block(input, delimiter, block);
        let mut out = Vec::new();
        while let Some(rec) = r.next_record().unwrap() {
            let fields = (0..rec.len()).map(|i| rec.field(i).to_vec()).collect();
            out.push((fields, rec.offset, rec.line));
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn records_are_those_of_the_csv_crate(
            bytes in proptest::collection::vec(
                prop_oneof![
                    4 => Just(b'a'), 3 => Just(b'7'), 3 => Just(b','), 1 => Just(b';'),
                    2 => Just(b'"'), 2 => Just(b'\n'), 1 => Just(b'\r'), 1 => Just(b' '),
                    1 => Just(0xEFu8), 1 => Just(0xBBu8), 1 => Just(0xBFu8),
                ],
                0..160,
            ),
            block in 1usize..40,
            semicolon in any::<bool>(),
        ) {
            let d = if semicolon { b';' } else { b',' };
            let expected = with_csv(&bytes, d);
            for b in [block, BLOCK] {
                let got = with_reader(&bytes, d, b);
                let fields: Vec<Vec<Vec<u8>>> = got.iter().map(|(f, ..)| f.clone()).collect();
                // A BOM at the very start is the one difference: csv strips it, records never do
                // (the header, read elsewhere, owns it).
                if !bytes.starts_with(b"\xEF\xBB\xBF") {
                    prop_assert_eq!(&fields, &expected, "block {}", b);
                }
                for (_, offset, line) in &got {
                    let o = *offset as usize;
                    // A record starts at a byte that is not a line end, after a line end (or at 0).
                    prop_assert!(o < bytes.len());
                    prop_assert!(!matches!(bytes[o], b'\n' | b'\r'));
                    prop_assert!(o == 0 || matches!(bytes[o - 1], b'\n' | b'\r'));
                    let newlines = bytes[..o].iter().filter(|&&c| c == b'\n').count() as u64;
                    prop_assert_eq!(*line, newlines + 1);
                }
            }
        }
    }

    #[test]
    fn quoted_fields_with_line_ends_and_crlf() {
        let input = b"1,\"a,b\"\r\n\r\n2,\"x\ny\",\"q\"\"q\"\n3,z";
        let got = with_reader(input, b',', 4);
        let fields: Vec<Vec<Vec<u8>>> = got.iter().map(|(f, ..)| f.clone()).collect();
        assert_eq!(fields, with_csv(input, b','));
        assert_eq!(
            fields,
            vec![
                vec![b"1".to_vec(), b"a,b".to_vec()],
                vec![b"2".to_vec(), b"x\ny".to_vec(), b"q\"q".to_vec()],
                vec![b"3".to_vec(), b"z".to_vec()],
            ]
        );
        // Offsets and lines of the records' first bytes.
        let at: Vec<(u64, u64)> = got.iter().map(|&(_, o, l)| (o, l)).collect();
        assert_eq!(at, vec![(0, 1), (11, 3), (26, 5)]);
    }
}
