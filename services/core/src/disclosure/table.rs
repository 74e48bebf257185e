//! Count tables with their relations, and the minimum cell size.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The minimum number of persons a released cell may represent, `k ≥ 5`.
///
/// Configurable upward only: [`MinCellSize::new`] rejects values below 5, so a weaker rule is
/// unrepresentable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u64", into = "u64")]
pub struct MinCellSize(u64);

impl MinCellSize {
    /// Statistics Denmark's rule: k = 5.
    pub const DEFAULT: MinCellSize = MinCellSize(5);

    /// A threshold of at least 5.
    pub fn new(k: u64) -> Result<MinCellSize, DisclosureError> {
        if k >= 5 {
            Ok(MinCellSize(k))
        } else {
            Err(DisclosureError::ThresholdTooLow { k })
        }
    }

    /// The threshold `k`.
    pub fn get(self) -> u64 {
        self.0
    }
}

impl Default for MinCellSize {
    fn default() -> Self {
        MinCellSize::DEFAULT
    }
}

impl TryFrom<u64> for MinCellSize {
    type Error = DisclosureError;
    fn try_from(k: u64) -> Result<Self, Self::Error> {
        MinCellSize::new(k)
    }
}

impl From<MinCellSize> for u64 {
    fn from(k: MinCellSize) -> u64 {
        k.0
    }
}

/// Why a cell is suppressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The cell counts 1 to k−1 persons.
    Primary,
    /// The cell is hidden so that primary cells cannot be worked out.
    Complementary,
}

impl Reason {
    /// The stable name (`primary`, `complementary`).
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Primary => "primary",
            Reason::Complementary => "complementary",
        }
    }
}

/// A relation of a table: the cell `total` equals the sum of the cells `parts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Relation {
    /// Index of the total cell.
    pub total: usize,
    /// Indices of the part cells.
    pub parts: Vec<usize>,
}

/// The layout of a [`CountTable`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Shape {
    /// `rows × cols` interior cells with row totals, column totals and the grand total; cell
    /// `(r, c)` is at index `r·(cols+1) + c`, row `rows` holds the column totals and column
    /// `cols` the row totals.
    TwoWay {
        /// Number of interior rows.
        rows: usize,
        /// Number of interior columns.
        cols: usize,
    },
    /// Cells and relations as given (hierarchical or three-way tables).
    General,
}

/// A table of person counts with the relations a reader can use (totals = sums of parts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountTable {
    values: Vec<u64>,
    relations: Vec<Relation>,
    shape: Shape,
}

/// Why a table cannot be built or protected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DisclosureError {
    /// A threshold below 5 was requested.
    #[error("minimum cell size {k} is below 5: the threshold can only be raised")]
    ThresholdTooLow {
        /// The rejected threshold.
        k: u64,
    },
    /// A two-way table has no rows or no columns, or ragged rows.
    #[error(
        "two-way table row {row} has {len} cells, expected {expected} (and at least 1 row and 1 column)"
    )]
    Ragged {
        /// The offending row.
        row: usize,
        /// Its length.
        len: usize,
        /// The expected length.
        expected: usize,
    },
    /// A relation refers to a cell that does not exist, or lists a cell twice.
    #[error("relation {relation} refers to cell {cell}, which is out of range or repeated")]
    BadCellIndex {
        /// The relation.
        relation: usize,
        /// The cell index.
        cell: usize,
    },
    /// The given counts do not satisfy a relation.
    #[error(
        "relation {relation}: total cell {total} is {total_value} but its parts sum to {parts_sum}"
    )]
    Inconsistent {
        /// The relation.
        relation: usize,
        /// Its total cell.
        total: usize,
        /// The total's value.
        total_value: u64,
        /// The sum of the parts.
        parts_sum: u128,
    },
    /// Counts so large that sums overflow.
    #[error("counts overflow when summed")]
    Overflow,
}

impl CountTable {
    /// A two-way table from its interior counts (`interior[r][c]`); the margins are computed,
    /// so they are always consistent.
    pub fn two_way(interior: &[Vec<u64>]) -> Result<CountTable, DisclosureError> {
        let rows = interior.len();
        let cols = interior.first().map_or(0, Vec::len);
        if rows == 0 || cols == 0 {
            return Err(DisclosureError::Ragged {
                row: 0,
                len: cols,
                expected: cols.max(1),
            });
        }
        for (r, row) in interior.iter().enumerate() {
            if row.len() != cols {
                return Err(DisclosureError::Ragged {
                    row: r,
                    len: row.len(),
                    expected: cols,
                });
            }
        }
        let w = cols + 1;
        let mut values = vec![0u64; (rows + 1) * w];
        for r in 0..rows {
            for c in 0..cols {
                let v = interior[r][c];
                values[r * w + c] = v;
                values[r * w + cols] = values[r * w + cols]
                    .checked_add(v)
                    .ok_or(DisclosureError::Overflow)?;
                values[rows * w + c] = values[rows * w + c]
                    .checked_add(v)
                    .ok_or(DisclosureError::Overflow)?;
                values[rows * w + cols] = values[rows * w + cols]
                    .checked_add(v)
                    .ok_or(DisclosureError::Overflow)?;
            }
        }
        let mut relations = Vec::with_capacity(rows + cols + 2);
        for r in 0..=rows {
            relations.push(Relation {
                total: r * w + cols,
                parts: (0..cols).map(|c| r * w + c).collect(),
            });
        }
        for c in 0..=cols {
            relations.push(Relation {
                total: rows * w + c,
                parts: (0..rows).map(|r| r * w + c).collect(),
            });
        }
        Ok(CountTable {
            values,
            relations,
            shape: Shape::TwoWay { rows, cols },
        })
    }

    /// A table from its cells and relations, checked to be consistent.
    pub fn new(values: Vec<u64>, relations: Vec<Relation>) -> Result<CountTable, DisclosureError> {
        for (i, rel) in relations.iter().enumerate() {
            let mut seen = std::collections::BTreeSet::new();
            for &c in std::iter::once(&rel.total).chain(&rel.parts) {
                if c >= values.len() || !seen.insert(c) {
                    return Err(DisclosureError::BadCellIndex {
                        relation: i,
                        cell: c,
                    });
                }
            }
            let sum: u128 = rel.parts.iter().map(|&p| values[p] as u128).sum();
            if sum != values[rel.total] as u128 {
                return Err(DisclosureError::Inconsistent {
                    relation: i,
                    total: rel.total,
                    total_value: values[rel.total],
                    parts_sum: sum,
                });
            }
        }
        Ok(CountTable {
            values,
            relations,
            shape: Shape::General,
        })
    }

    /// The counts, by cell index.
    pub fn values(&self) -> &[u64] {
        &self.values
    }

    /// The relations.
    pub fn relations(&self) -> &[Relation] {
        &self.relations
    }

    /// The layout.
    pub fn shape(&self) -> Shape {
        self.shape
    }

    /// Number of cells (margins included).
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// True for a table without cells.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Index of two-way cell `(r, c)` (with `r == rows` / `c == cols` for the margins).
    pub fn two_way_index(&self, r: usize, c: usize) -> Option<usize> {
        match self.shape {
            Shape::TwoWay { rows, cols } if r <= rows && c <= cols => Some(r * (cols + 1) + c),
            _ => None,
        }
    }
}
