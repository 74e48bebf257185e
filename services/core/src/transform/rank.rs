//! Ranking: a stable LSD radix sort on order-preserving integer keys, and the rank-based
//! transforms built on it (min ranks, average ranks, percentile ranks, rank-normal scores, the
//! exponential transform).
//!
//! Why a radix sort: the Monte Carlo kernel ranks every indicator, domain and index once per
//! draw (about 21 rankings of 2,100 areas per draw, 1,000 draws), so ranking is half the hot
//! path. Keys are 64-bit and the sort skips every byte position in which all keys agree, so
//! values rounded to a few decimals (turned into small integers) take two passes, and arbitrary
//! doubles at most eight. No allocation happens once the scratch buffers have grown.

use super::{RankNormalForm, exp_transform_r, normal_quantile, round_half_away};

/// Reusable buffers for ranking; one per thread.
#[derive(Debug, Default, Clone)]
pub struct RankScratch {
    keys: Vec<u64>,
    keys2: Vec<u64>,
    idx: Vec<u32>,
    idx2: Vec<u32>,
    /// Cached lookup table of a rank transform, keyed by (kind, N, parameter bits).
    table: Vec<f64>,
    table_key: Option<(u8, usize, u64)>,
}

/// Order-preserving map of a non-NaN double to u64 (−0.0 and 0.0 map to the same key).
#[inline]
pub(crate) fn f64_key(v: f64) -> u64 {
    let b = (v + 0.0).to_bits();
    if b >> 63 == 1 { !b } else { b | (1 << 63) }
}

/// Order-preserving map of an integer-valued double (|v| < 2^53) to u64.
#[inline]
fn int_key(v: f64) -> u64 {
    ((v as i64) as u64) ^ (1 << 63)
}

impl RankScratch {
    /// Loads the non-NaN entries of `row` (in index order) as sort keys. With `decimals`, values
    /// are first rounded half away from zero and written back to `row`, and the keys are the
    /// scaled integers (so equal printed values tie exactly).
    pub(crate) fn load(&mut self, row: &mut [f64], decimals: Option<u32>) {
        self.keys.clear();
        self.idx.clear();
        match decimals {
            Some(d) => {
                let p = 10f64.powi(d as i32);
                for (i, v) in row.iter_mut().enumerate() {
                    if v.is_nan() {
                        continue;
                    }
                    let r = round_half_away(*v, d);
                    *v = r;
                    let scaled = (r * p).round();
                    let key = if scaled.abs() < 9.0e15 {
                        int_key(scaled)
                    } else {
                        f64_key(r)
                    };
                    self.keys.push(key);
                    self.idx.push(i as u32);
                }
            }
            None => {
                for (i, v) in row.iter().enumerate() {
                    if !v.is_nan() {
                        self.keys.push(f64_key(*v));
                        self.idx.push(i as u32);
                    }
                }
            }
        }
    }

    /// Loads explicit keys and indices (the caller decides the initial order, which a stable sort
    /// keeps among equal keys).
    pub(crate) fn load_keys(&mut self, keys: impl Iterator<Item = (u64, u32)>) {
        self.keys.clear();
        self.idx.clear();
        for (k, i) in keys {
            self.keys.push(k);
            self.idx.push(i);
        }
    }

    /// Sorts the loaded (key, index) pairs by key ascending, stable (LSD radix, 8-bit digits,
    /// constant digits skipped).
    pub(crate) fn sort(&mut self) {
        let n = self.keys.len();
        if n < 2 {
            return;
        }
        let mut hist = [[0u32; 256]; 8];
        for &k in &self.keys {
            for (b, h) in hist.iter_mut().enumerate() {
                h[((k >> (8 * b)) & 0xff) as usize] += 1;
            }
        }
        self.keys2.resize(n, 0);
        self.idx2.resize(n, 0);
        for (b, h) in hist.iter().enumerate() {
            if h.iter().any(|&c| c as usize == n) {
                continue; // every key has the same byte here
            }
            let mut offs = [0u32; 256];
            let mut acc = 0u32;
            for (o, &c) in offs.iter_mut().zip(h.iter()) {
                *o = acc;
                acc += c;
            }
            for j in 0..n {
                let k = self.keys[j];
                let d = ((k >> (8 * b)) & 0xff) as usize;
                let pos = offs[d] as usize;
                offs[d] += 1;
                self.keys2[pos] = k;
                self.idx2[pos] = self.idx[j];
            }
            std::mem::swap(&mut self.keys, &mut self.keys2);
            std::mem::swap(&mut self.idx, &mut self.idx2);
        }
    }

    /// The number of loaded entries.
    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }

    /// Sorted (key, index) pairs after [`RankScratch::sort`].
    pub(crate) fn sorted(&self) -> impl Iterator<Item = (u64, u32)> + '_ {
        self.keys.iter().copied().zip(self.idx.iter().copied())
    }

    /// Calls `f(index, min_rank, max_rank)` for every sorted entry (ranks 1-based, ascending);
    /// tied entries share `min_rank` and `max_rank`.
    pub(crate) fn for_each_tie_group(&self, mut f: impl FnMut(u32, u32, u32)) {
        let n = self.keys.len();
        let mut start = 0;
        while start < n {
            let mut end = start + 1;
            while end < n && self.keys[end] == self.keys[start] {
                end += 1;
            }
            let (lo, hi) = (start as u32 + 1, end as u32);
            for &i in &self.idx[start..end] {
                f(i, lo, hi);
            }
            start = end;
        }
    }

    /// A lookup table of `f(half_rank)` for half-ranks 2..=2N (entry `h` is the transform of the
    /// rank h/2), cached for (kind, N, param).
    fn table(&mut self, kind: u8, n: usize, param: u64, f: impl Fn(f64) -> f64) -> &[f64] {
        if self.table_key != Some((kind, n, param)) {
            self.table.clear();
            // Ranks start at 1: entries 0 and 1 (ranks 0 and 0.5) are never read.
            self.table
                .extend((0..=2 * n).map(|h| if h < 2 { f64::NAN } else { f(h as f64 / 2.0) }));
            self.table_key = Some((kind, n, param));
        }
        &self.table
    }
}

/// Min ranks (1 = smallest, ties share the smallest rank), in place into `out`; NaN entries get 0.
pub(crate) fn min_ranks_nan(row: &mut [f64], out: &mut [u32], s: &mut RankScratch) {
    s.load(row, None);
    s.sort();
    out.iter_mut().for_each(|r| *r = 0);
    s.for_each_tie_group(|i, lo, _| out[i as usize] = lo);
}

/// See [`super::percent_rank`]; works in place, NaN = missing.
pub(crate) fn percent_rank_nan(
    row: &mut [f64],
    input_decimals: Option<u32>,
    output_decimals: Option<u32>,
    s: &mut RankScratch,
) {
    s.load(row, input_decimals);
    s.sort();
    let n = s.len();
    let denom = n as f64 - 1.0;
    s.for_each_tie_group(|i, lo, _| {
        let pr = if n > 1 {
            f64::from(lo - 1) / denom
        } else {
            f64::NAN
        };
        row[i as usize] = match output_decimals {
            Some(d) => round_half_away(pr, d),
            None => pr,
        };
    });
}

/// See [`super::rank_normal`]; works in place, NaN = missing.
pub(crate) fn rank_normal_nan(row: &mut [f64], form: RankNormalForm, s: &mut RankScratch) {
    s.load(row, None);
    s.sort();
    let n = s.len();
    let nf = n as f64;
    let kind = match form {
        RankNormalForm::Iod => 1,
        RankNormalForm::Simd => 2,
    };
    // The transform depends only on (rank, N): tabulate it once per N (ties give half ranks).
    let table = s
        .table(kind, n, 0, |r| match form {
            RankNormalForm::Iod => normal_quantile((r - 0.5) / nf),
            RankNormalForm::Simd => normal_quantile(r / (nf + 1.0)),
        })
        .to_vec();
    s.for_each_tie_group(|i, lo, hi| row[i as usize] = table[(lo + hi) as usize]);
}

/// See [`super::exp_transform`]; works in place, NaN = missing.
pub(crate) fn exp_transform_nan(row: &mut [f64], c: f64, s: &mut RankScratch) {
    s.load(row, None);
    s.sort();
    let n = s.len();
    let nf = n as f64;
    let table = s
        .table(3, n, c.to_bits(), |r| exp_transform_r(r / nf, c))
        .to_vec();
    s.for_each_tie_group(|i, lo, _| row[i as usize] = table[2 * lo as usize]);
}

/// Ranks with ties by minimum rank ("competition" ranking, R's `ties.method = "min"`), over the
/// non-missing values; rank 1 is the smallest value, or the largest when `descending`.
/// Missing values (and NaN) get `None`.
pub fn min_ranks(values: &[Option<f64>], descending: bool) -> Vec<Option<u32>> {
    let mut row: Vec<f64> = values
        .iter()
        .map(|v| match v {
            Some(x) if descending => -x,
            Some(x) => *x,
            None => f64::NAN,
        })
        .collect();
    let mut out = vec![0u32; row.len()];
    let mut s = RankScratch::default();
    min_ranks_nan(&mut row, &mut out, &mut s);
    out.into_iter().map(|r| (r > 0).then_some(r)).collect()
}

/// Average ranks (R's `ties.method = "average"`): tied values share the mean of the ranks they
/// occupy; rank 1 is the smallest value. Missing values (and NaN) get `None`.
pub fn average_ranks(values: &[Option<f64>]) -> Vec<Option<f64>> {
    let mut row = super::to_nan(values);
    let mut s = RankScratch::default();
    s.load(&mut row, None);
    s.sort();
    let mut out = vec![None; values.len()];
    s.for_each_tie_group(|i, lo, hi| out[i as usize] = Some(f64::from(lo + hi) / 2.0));
    out
}
