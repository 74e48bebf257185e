//! Bytes to CSV records: SHA-256 of every byte read, BOM handling, encoding detection, and
//! decoding of fields.
//!
//! The `csv` crate parses raw bytes. This is correct for both supported encodings because UTF-8
//! and Windows-1252 encode `;`, `,`, `"`, CR and LF as the same single ASCII bytes, and no other
//! character contains those bytes; each field is decoded afterwards, so an invalid byte is
//! reported with its line and column.
//!
//! Encoding detection (`EncodingChoice::Auto`) looks at the first [`SNIFF_BYTES`] bytes: a BOM or
//! valid UTF-8 ⇒ UTF-8, otherwise Windows-1252. A Windows-1252 file whose first 64 KiB are pure
//! ASCII is therefore read as UTF-8, and its first non-ASCII byte is reported as invalid UTF-8
//! with advice to pass `--encoding windows-1252` (StatBank headers such as `OMRÅDE` and `KØN`
//! make this rare in practice). Detection never silently mis-decodes a byte.

use std::borrow::Cow;
use std::io::{self, Chain, Cursor, Read};

use csv::ByteRecord;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{ErrorKind, ErrorSink, IngestError, IngestErrors};
use crate::options::EncodingChoice;

/// Bytes inspected for encoding and delimiter detection.
pub const SNIFF_BYTES: usize = 64 * 1024;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A text encoding the readers decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TextEncoding {
    /// UTF-8.
    #[serde(rename = "utf-8")]
    Utf8,
    /// Windows-1252 (decoded with `encoding_rs`, WHATWG mapping).
    #[serde(rename = "windows-1252")]
    Windows1252,
}

impl TextEncoding {
    /// `utf-8` or `windows-1252`.
    pub fn as_str(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "utf-8",
            TextEncoding::Windows1252 => "windows-1252",
        }
    }
}

/// The encoding a file was read with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EncodingInfo {
    /// The encoding.
    pub encoding: TextEncoding,
    /// Whether the file started with a UTF-8 byte-order mark (stripped before parsing).
    pub bom: bool,
    /// True when detected (`EncodingChoice::Auto`), false when requested.
    pub detected: bool,
}

/// Counts and hashes every byte that passes through it.
pub(crate) struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    bytes: u64,
}

impl<R: Read> HashingReader<R> {
    fn new(inner: R) -> Self {
        HashingReader {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
        }
    }

    /// Reads the rest of the input (so the hash covers every byte) and returns the lowercase hex
    /// SHA-256 and the byte count.
    fn finish(mut self) -> io::Result<(String, u64)> {
        io::copy(&mut self, &mut io::sink())?;
        Ok((hex::encode(self.hasher.finalize()), self.bytes))
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

type Inner<R> = Chain<Cursor<Vec<u8>>, HashingReader<R>>;

/// How to choose the field delimiter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DelimiterPolicy {
    /// Always `;` (StatBank, classifications).
    Semicolon,
    /// `;` if the first line contains one, else `,` if it contains one, else `;`.
    Detect,
}

/// One data row, decoded.
pub(crate) struct Row {
    /// 1-based line of the row's start.
    pub line: u64,
    /// Fields, trimmed of surrounding spaces and tabs.
    pub fields: Vec<String>,
}

/// Result of reading one record.
pub(crate) enum Next {
    /// A well-formed row.
    Row(Row),
    /// A row that could not be used; its errors are in the sink.
    Bad,
    /// End of input (or an I/O error, recorded in the sink).
    End,
}

/// A CSV record source over any `Read`, with hashing, BOM stripping and decoding.
pub(crate) struct CsvSource<R: Read> {
    source_name: String,
    csv: csv::Reader<Inner<R>>,
    record: ByteRecord,
    encoding: EncodingInfo,
    delimiter: u8,
    header: Vec<String>,
    ended: bool,
}

impl<R: Read> CsvSource<R> {
    /// Sniffs the start of `input`, decides BOM, encoding and delimiter, and reads the header row.
    pub(crate) fn open(
        source_name: &str,
        input: R,
        choice: EncodingChoice,
        delimiter: DelimiterPolicy,
    ) -> Result<Self, IngestErrors> {
        let file_error = |kind: ErrorKind| {
            IngestErrors::one(IngestError::new(source_name, 1, 1, None, "", kind))
        };
        let mut hashing = HashingReader::new(input);
        let mut prefix = Vec::with_capacity(SNIFF_BYTES);
        (&mut hashing)
            .take(SNIFF_BYTES as u64)
            .read_to_end(&mut prefix)
            .map_err(|e| {
                file_error(ErrorKind::Io {
                    message: e.to_string(),
                })
            })?;
        let full_prefix = prefix.len() == SNIFF_BYTES;

        let bom = prefix.starts_with(BOM);
        if prefix.is_empty() {
            return Err(file_error(ErrorKind::EmptyFile));
        }
        if bom {
            if choice == EncodingChoice::Windows1252 {
                return Err(file_error(ErrorKind::BomWithWindows1252));
            }
            prefix.drain(..BOM.len());
            if prefix.is_empty() {
                return Err(file_error(ErrorKind::BomOnly));
            }
        }

        let encoding = match choice {
            EncodingChoice::Utf8 => EncodingInfo {
                encoding: TextEncoding::Utf8,
                bom,
                detected: false,
            },
            EncodingChoice::Windows1252 => EncodingInfo {
                encoding: TextEncoding::Windows1252,
                bom: false,
                detected: false,
            },
            EncodingChoice::Auto => {
                let utf8 = bom
                    || match std::str::from_utf8(&prefix) {
                        Ok(_) => true,
                        // A multi-byte character cut by the end of the sniffed block is fine.
                        Err(e) => e.error_len().is_none() && full_prefix,
                    };
                let encoding = if utf8 {
                    TextEncoding::Utf8
                } else {
                    TextEncoding::Windows1252
                };
                EncodingInfo {
                    encoding,
                    bom,
                    detected: true,
                }
            }
        };

        let delimiter = match delimiter {
            DelimiterPolicy::Semicolon => b';',
            DelimiterPolicy::Detect => {
                let first_line = prefix.split(|&b| b == b'\n').next().unwrap_or(&[]);
                if first_line.contains(&b';') {
                    b';'
                } else if first_line.contains(&b',') {
                    b','
                } else {
                    b';'
                }
            }
        };

        let csv = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(false)
            .from_reader(Cursor::new(prefix).chain(hashing));
        let mut src = CsvSource {
            source_name: source_name.to_string(),
            csv,
            record: ByteRecord::new(),
            encoding,
            delimiter,
            header: Vec::new(),
            ended: false,
        };

        let mut sink = ErrorSink::default();
        match src.csv.read_byte_record(&mut src.record) {
            Ok(true) => {}
            Ok(false) => return Err(file_error(ErrorKind::EmptyFile)),
            Err(e) => {
                return Err(file_error(ErrorKind::Io {
                    message: e.to_string(),
                }));
            }
        }
        let record = std::mem::take(&mut src.record);
        let line = record.position().map_or(1, |p| p.line());
        let header = src.decode_record(&record, line, &[], &mut sink);
        src.record = record;
        match header {
            Some(fields) if sink.is_empty() => {
                src.header = fields;
                Ok(src)
            }
            _ => Err(sink.into_errors()),
        }
    }

    /// The header fields (trimmed).
    pub(crate) fn header(&self) -> &[String] {
        &self.header
    }

    pub(crate) fn encoding(&self) -> EncodingInfo {
        self.encoding
    }

    /// Bytes of the input parsed so far (including a BOM), for progress reporting.
    pub(crate) fn bytes_parsed(&self) -> u64 {
        self.csv.position().byte()
            + if self.encoding.bom {
                BOM.len() as u64
            } else {
                0
            }
    }

    pub(crate) fn delimiter(&self) -> u8 {
        self.delimiter
    }

    /// Reads the next data row. Errors (wrong field count, invalid UTF-8, I/O) go to `sink`.
    pub(crate) fn next(&mut self, sink: &mut ErrorSink) -> Next {
        if self.ended {
            return Next::End;
        }
        let mut record = std::mem::take(&mut self.record);
        let result = self.csv.read_byte_record(&mut record);
        let next = match result {
            Ok(false) => {
                self.ended = true;
                Next::End
            }
            Ok(true) => {
                let line = record.position().map_or(0, |p| p.line());
                match self.decode_record(&record, line, &self.header, sink) {
                    Some(fields) => Next::Row(Row { line, fields }),
                    None => Next::Bad,
                }
            }
            Err(e) => match e.kind() {
                csv::ErrorKind::UnequalLengths {
                    pos,
                    expected_len,
                    len,
                } => {
                    let (expected_len, len) = (*expected_len, *len);
                    let line = pos.as_ref().map_or(0, |p| p.line());
                    let column = expected_len.min(len) + 1;
                    let name = self.header.get(column as usize - 1).map(String::as_str);
                    let raw = self.raw_line(&record);
                    sink.push(IngestError::new(
                        &self.source_name,
                        line,
                        column,
                        name,
                        &raw,
                        ErrorKind::WrongColumnCount {
                            expected: expected_len,
                            found: len,
                        },
                    ));
                    Next::Bad
                }
                _ => {
                    let line = record.position().map_or(0, |p| p.line() + 1);
                    sink.push(IngestError::new(
                        &self.source_name,
                        line,
                        1,
                        None,
                        "",
                        ErrorKind::Io {
                            message: e.to_string(),
                        },
                    ));
                    self.ended = true;
                    Next::End
                }
            },
        };
        self.record = record;
        next
    }

    /// The raw line of a record, decoded lossily, for messages.
    fn raw_line(&self, record: &ByteRecord) -> String {
        let mut out = String::new();
        for (i, field) in record.iter().enumerate() {
            if i > 0 {
                out.push(self.delimiter as char);
            }
            out.push_str(&self.decode_lossy(field));
        }
        out
    }

    fn decode_lossy<'a>(&self, bytes: &'a [u8]) -> Cow<'a, str> {
        match self.encoding.encoding {
            TextEncoding::Utf8 => String::from_utf8_lossy(bytes),
            TextEncoding::Windows1252 => {
                encoding_rs::WINDOWS_1252
                    .decode_without_bom_handling(bytes)
                    .0
            }
        }
    }

    fn decode_record(
        &self,
        record: &ByteRecord,
        line: u64,
        header: &[String],
        sink: &mut ErrorSink,
    ) -> Option<Vec<String>> {
        let mut fields = Vec::with_capacity(record.len());
        let mut ok = true;
        for (i, bytes) in record.iter().enumerate() {
            let text = match self.encoding.encoding {
                TextEncoding::Utf8 => match std::str::from_utf8(bytes) {
                    Ok(s) => s,
                    Err(_) => {
                        sink.push(IngestError::new(
                            &self.source_name,
                            line,
                            i as u64 + 1,
                            header.get(i).map(String::as_str),
                            &String::from_utf8_lossy(bytes),
                            ErrorKind::InvalidUtf8 {
                                detected: self.encoding.detected,
                            },
                        ));
                        ok = false;
                        continue;
                    }
                },
                TextEncoding::Windows1252 => {
                    fields.push(
                        encoding_rs::WINDOWS_1252
                            .decode_without_bom_handling(bytes)
                            .0
                            .trim_matches([' ', '\t'])
                            .to_string(),
                    );
                    continue;
                }
            };
            fields.push(text.trim_matches([' ', '\t']).to_string());
        }
        ok.then_some(fields)
    }

    /// Reads the rest of the input and returns (sha256 hex, bytes read).
    pub(crate) fn finish(self) -> io::Result<(String, u64)> {
        let (_, hashing) = self.csv.into_inner().into_inner();
        hashing.finish()
    }
}
