//! Ranking: stable integer sorts on order-preserving keys, and the rank-based transforms built
//! on them (min ranks, average ranks, percentile ranks, rank-normal scores, the exponential
//! transform).
//!
//! Why not a comparison sort: the Monte Carlo kernel ranks every indicator, domain and index
//! once per draw (about 21 rankings of 2,100 areas per draw, 1,000 draws), so ranking is half
//! the hot path. Values rounded to a few decimals become small integers and are ranked by
//! counting, without sorting. Other keys go through one bucket pass (about n buckets, linear in
//! the value, then an insertion sort that only fixes neighbours within a bucket), falling back to
//! an LSD radix sort over the bytes in which the keys differ when the values are too clustered
//! for buckets. Only ranks are ever needed, never a sorted copy of the values. No allocation
//! happens once the scratch buffers have grown.

use std::sync::{Arc, Mutex};

use super::{RankNormalForm, exp_transform_r, normal_quantile, pow10, round_scaled};

/// Reusable buffers for ranking; one per thread.
#[derive(Debug, Default, Clone)]
pub struct RankScratch {
    keys: Vec<u64>,
    keys2: Vec<u64>,
    idx: Vec<u32>,
    idx2: Vec<u32>,
    counts: Vec<u32>,
    /// Bucket of each key in [`RankScratch::bucket_sort`].
    bucket: Vec<u32>,
    /// What the loaded keys encode (how the bucket sort spreads them).
    kind: KeyKind,
    /// Smallest and largest loaded value, when [`RankScratch::load_opts`] loaded doubles.
    range: Option<(f64, f64)>,
    /// Smallest and largest loaded key, when [`RankScratch::load_opts`] loaded rounded values.
    key_span: Option<(u64, u64)>,
    /// (number of buckets, Σ c(c − 1)/2) when [`RankScratch::load_opts`] already filled
    /// `bucket` and `counts` for [`RankScratch::bucket_sort`].
    prebucketed: Option<(usize, u32)>,
    /// Cached lookup tables of rank transforms, keyed by (kind, N, parameter bits).
    tables: Vec<(TableKey, Arc<Vec<f64>>)>,
}

/// Where ranked values come from: `sign·values[i]`, or missing where `included[i]` is false.
/// Lets a kernel step rank its input row directly instead of first copying it (oriented and
/// with excluded areas blanked) into its output row.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Source<'a> {
    pub(crate) values: &'a [f64],
    pub(crate) sign: f64,
    pub(crate) included: Option<&'a [bool]>,
}

impl<'a> Source<'a> {
    /// The values as they are.
    pub(crate) fn of(values: &'a [f64]) -> Self {
        Source {
            values,
            sign: 1.0,
            included: None,
        }
    }

    #[inline(always)]
    fn get(&self, i: usize) -> f64 {
        let v = self.sign * self.values[i];
        match self.included {
            Some(inc) if !inc[i] => f64::NAN,
            _ => v,
        }
    }
}

/// (kind of transform, N, parameter bits) of a rank-transform table.
type TableKey = (u8, usize, u64);

/// Rank-transform tables shared by all threads and calls: a table depends only on its key, and
/// rebuilding the rank-normal one (N normal quantiles) cost a deterministic scoring about 10 %.
/// Memoisation of a pure function; at most [`SHARED_TABLES`] are kept.
static SHARED: Mutex<Vec<(TableKey, Arc<Vec<f64>>)>> = Mutex::new(Vec::new());
const SHARED_TABLES: usize = 32;

/// What a set of sort keys encodes.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyKind {
    /// Any order-preserving keys; offsets from the smallest key are spread linearly (right for
    /// scaled integers).
    #[default]
    Int,
    /// [`f64_key`] of doubles: spread linearly in the doubles' values.
    F64,
    /// `!f64_key(v)`: the doubles in descending order.
    NegF64,
}

/// The double whose [`f64_key`] is `k`.
#[inline]
fn key_f64(k: u64) -> f64 {
    f64::from_bits(if k >> 63 == 1 { k ^ (1 << 63) } else { !k })
}

/// Order-preserving map of a non-NaN double to u64 (−0.0 and 0.0 map to the same key).
#[inline]
pub(crate) fn f64_key(v: f64) -> u64 {
    let b = (v + 0.0).to_bits();
    if b >> 63 == 1 { !b } else { b | (1 << 63) }
}

/// Order-preserving key of a value known to be rounded to `d` decimals: the scaled integer
/// (exact for such values), or the double's key for huge magnitudes.
#[inline]
pub(crate) fn decimal_key(v: f64, d: u32) -> u64 {
    let m = round_scaled(v.abs() * pow10(d));
    if m < 4.0e15 {
        int_key(if v < 0.0 { -m } else { m })
    } else {
        f64_key(v)
    }
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
        self.load_opts(row, decimals, true);
    }

    /// [`RankScratch::load`]; with `write_back = false` the rounded values are not written to
    /// `row` (callers that overwrite the row anyway).
    pub(crate) fn load_opts(&mut self, row: &mut [f64], decimals: Option<u32>, write_back: bool) {
        self.load_source(Source::of(row), decimals);
        if let (true, Some(d)) = (write_back, decimals) {
            for v in row.iter_mut().filter(|v| !v.is_nan()) {
                *v = super::round_half_away(*v, d);
            }
        }
    }

    /// Loads the non-NaN values of `src` (in index order) as sort keys; see
    /// [`RankScratch::load`].
    pub(crate) fn load_source(&mut self, src: Source<'_>, decimals: Option<u32>) {
        // Branch-free compaction: write every entry, advance only past non-missing ones.
        let n = src.values.len();
        self.keys.resize(n, 0);
        self.idx.resize(n, 0);
        self.kind = if decimals.is_some() {
            KeyKind::Int
        } else {
            KeyKind::F64
        };
        self.range = None;
        self.key_span = None;
        self.prebucketed = None;
        let mut j = 0usize;
        match decimals {
            Some(d) => {
                let p = pow10(d);
                let (mut lo, mut hi) = (u64::MAX, 0u64);
                for i in 0..n {
                    let x = src.get(i);
                    let a = x.abs() * p;
                    let key = if a < 4.0e15 {
                        // round_scaled, kept as an integer: the key is the signed scaled value.
                        let mi = (a + (0.5 + super::HALF_TOL * a.max(1.0))) as i64;
                        ((if x < 0.0 { -mi } else { mi }) as u64) ^ (1 << 63)
                    } else {
                        f64_key(x)
                    };
                    self.keys[j] = key;
                    self.idx[j] = i as u32;
                    let present = !x.is_nan();
                    j += usize::from(present);
                    lo = lo.min(if present { key } else { u64::MAX });
                    hi = hi.max(if present { key } else { 0 });
                }
                self.key_span = Some((lo, hi));
            }
            None => {
                // The range first (f64::min/max skip NaN), so that the loading pass can also
                // distribute the entries into the bucket sort's buckets (linear in the value,
                // as `bucket_sort` does).
                let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
                for i in 0..n {
                    let x = src.get(i);
                    lo = lo.min(x);
                    hi = hi.max(x);
                }
                let (lo, hi) = (lo + 0.0, hi + 0.0);
                self.range = Some((lo, hi));
                let nb = 1usize << (usize::BITS - n.leading_zeros()).min(20);
                let scale = (nb as f64 - 1.0) / (hi - lo);
                if n >= 64 && scale.is_finite() && scale > 0.0 {
                    self.bucket.resize(n, 0);
                    self.counts.clear();
                    self.counts.resize(nb, 0);
                    let top = nb as u32 - 1;
                    let mut moves = 0u32;
                    for i in 0..n {
                        let x = src.get(i);
                        let present = !x.is_nan();
                        let b = (((x - lo) * scale) as u32).min(top) as usize;
                        self.keys[j] = f64_key(x);
                        self.idx[j] = i as u32;
                        self.bucket[j] = b as u32;
                        let c = &mut self.counts[(b + 1) & (nb - 1)];
                        moves += *c * u32::from(present);
                        *c += u32::from(present);
                        j += usize::from(present);
                    }
                    self.prebucketed = Some((nb, moves));
                } else {
                    for i in 0..n {
                        let x = src.get(i);
                        self.keys[j] = f64_key(x);
                        self.idx[j] = i as u32;
                        j += usize::from(!x.is_nan());
                    }
                }
            }
        }
        self.keys.truncate(j);
        self.idx.truncate(j);
    }

    /// Loads explicit keys and indices (the caller decides the initial order, which a stable sort
    /// keeps among equal keys); `kind` says what the keys encode.
    pub(crate) fn load_keys(&mut self, keys: impl Iterator<Item = (u64, u32)>, kind: KeyKind) {
        self.kind = kind;
        self.range = None;
        self.key_span = None;
        self.prebucketed = None;
        self.keys.clear();
        self.idx.clear();
        for (k, i) in keys {
            self.keys.push(k);
            self.idx.push(i);
        }
    }

    /// Sorts the loaded (key, index) pairs by key ascending, stable.
    ///
    /// First tries [`RankScratch::bucket_sort`] (one distribution pass, for keys spread out
    /// enough); otherwise an LSD radix sort with 8-bit digits over the bytes in which the keys
    /// differ. When the high 32 bits vary (arbitrary doubles), only those bytes are radix-sorted and runs of equal high
    /// halves — rare, a relative difference below 2⁻²⁰ — are finished by an insertion sort on
    /// the full key, which halves the passes for doubles and stays exact and stable.
    pub(crate) fn sort(&mut self) {
        let n = self.keys.len();
        if n < 2 || self.bucket_sort() {
            return;
        }
        self.radix_sort();
    }

    /// One-pass bucket sort into about n buckets by a monotone map of the keys — linear in the
    /// value they encode ([`KeyKind`]) — so buckets are in key order and equal keys share one; a stable counting pass distributes the entries,
    /// and an insertion sort finishes the order within buckets, which costs O(n + inversions).
    /// Returns false (nothing changed) when the buckets are too uneven for that to pay — the
    /// sum over buckets of c(c − 1)/2 bounds the insertion sort's moves and must stay below 2n.
    ///
    /// Ranking 2,100 unrounded doubles this way takes one histogram and one scatter pass instead
    /// of the radix sort's four or more.
    fn bucket_sort(&mut self) -> bool {
        let n = self.keys.len();
        if n < 64 {
            return false;
        }
        if let Some((nb, moves)) = self.prebucketed.take() {
            return self.bucket_finish(nb, moves);
        }
        let bits = (usize::BITS - n.leading_zeros()).min(20);
        let nb = 1usize << bits;
        let key_range = |keys: &[u64]| {
            let (mut lo, mut hi) = (u64::MAX, 0u64);
            for &k in keys {
                lo = lo.min(k);
                hi = hi.max(k);
            }
            (lo, hi)
        };
        self.bucket.resize(n, 0);
        self.counts.clear();
        self.counts.resize(nb, 0);
        // Σ c(c − 1)/2 over the buckets, accumulated as entries arrive: the most moves the
        // insertion sort below can make.
        let mut moves = 0u32;
        match self.kind {
            KeyKind::Int => {
                let (lo, hi) = self.key_span.unwrap_or_else(|| key_range(&self.keys));
                let span = hi - lo;
                if span == 0 {
                    return true; // all equal: already in (stable) order
                }
                // The top `bits` bits of the offset, scaled so that the largest offset's leading
                // bit is the top bit.
                let lz = span.leading_zeros();
                let shift = 64 - bits;
                for (b, &k) in self.bucket.iter_mut().zip(&self.keys) {
                    let x = (((k - lo) << lz) >> shift) as usize;
                    *b = x as u32;
                    let c = &mut self.counts[(x + 1) & (nb - 1)];
                    moves += *c;
                    *c += 1;
                }
            }
            KeyKind::F64 | KeyKind::NegF64 => {
                // Linear in the values: fl(v − min)·scale is monotone in v.
                let neg = self.kind == KeyKind::NegF64;
                let val = |k: u64| if neg { -key_f64(!k) } else { key_f64(k) };
                let (vlo, vhi) = match (self.range, neg) {
                    (Some(r), false) => r,
                    _ => {
                        let (lo, hi) = key_range(&self.keys);
                        (val(lo), val(hi))
                    }
                };
                if vlo == vhi {
                    return true; // all equal
                }
                let scale = (nb as f64 - 1.0) / (vhi - vlo);
                if !(scale.is_finite() && scale > 0.0) {
                    return false;
                }
                let top = nb as u32 - 1;
                for (b, &k) in self.bucket.iter_mut().zip(&self.keys) {
                    let x = (((val(k) - vlo) * scale) as u32).min(top) as usize;
                    *b = x as u32;
                    let c = &mut self.counts[(x + 1) & (nb - 1)];
                    moves += *c;
                    *c += 1;
                }
            }
        }
        self.bucket_finish(nb, moves)
    }

    /// The rest of [`RankScratch::bucket_sort`] once `bucket` and `counts` are filled.
    fn bucket_finish(&mut self, nb: usize, moves: u32) -> bool {
        let n = self.keys.len();
        debug_assert_eq!(self.counts.len(), nb);
        // counts[b + 1] holds bucket b's size (the last bucket's size, which nothing reads,
        // wrapped to counts[0]); the prefix sums turn them into start positions.
        self.counts[0] = 0;
        let mut acc = 0u32;
        for c in self.counts.iter_mut() {
            acc += *c;
            *c = acc;
        }
        if moves as usize > 2 * n {
            return false;
        }
        self.keys2.resize(n, 0);
        self.idx2.resize(n, 0);
        for ((&b, &k), &i) in self.bucket.iter().zip(&self.keys).zip(&self.idx) {
            let pos = self.counts[b as usize] as usize;
            self.counts[b as usize] += 1;
            self.keys2[pos] = k;
            self.idx2[pos] = i;
        }
        std::mem::swap(&mut self.keys, &mut self.keys2);
        std::mem::swap(&mut self.idx, &mut self.idx2);
        // Insertion sort of an almost sorted sequence: the step by one place is done without a
        // branch (the order of two neighbours in a bucket is a coin flip, which a branch would
        // mispredict); only entries that move further take the loop.
        let (keys, idx) = (&mut self.keys[..n], &mut self.idx[..n]);
        let (mut pk, mut pi) = (keys[0], idx[0]);
        for i in 1..n {
            let (k, x) = (keys[i], idx[i]);
            let swap = pk > k;
            let (lo_k, lo_i) = if swap { (k, x) } else { (pk, pi) };
            (pk, pi) = if swap { (pk, pi) } else { (k, x) };
            keys[i - 1] = lo_k;
            idx[i - 1] = lo_i;
            if swap & (i >= 2) & (keys[i.saturating_sub(2)] > lo_k) {
                let mut j = i - 1;
                while j > 0 && keys[j - 1] > lo_k {
                    keys[j] = keys[j - 1];
                    idx[j] = idx[j - 1];
                    j -= 1;
                }
                keys[j] = lo_k;
                idx[j] = lo_i;
            }
        }
        keys[n - 1] = pk;
        idx[n - 1] = pi;
        true
    }

    /// Stable LSD radix sort of the loaded pairs (see [`RankScratch::sort`]).
    fn radix_sort(&mut self) {
        let n = self.keys.len();
        let (mut or, mut and) = (0u64, u64::MAX);
        for &k in &self.keys {
            or |= k;
            and &= k;
        }
        let varying = or ^ and;
        let high_only = varying >> 32 != 0;
        let first_byte = if high_only { 4 } else { 0 };
        self.keys2.resize(n, 0);
        self.idx2.resize(n, 0);
        // The histograms of every byte that varies, in one read of the keys.
        let mut shift_buf = [0u32; 8];
        let mut used = 0;
        for b in first_byte..8u32 {
            if (varying >> (8 * b)) & 0xff != 0 {
                shift_buf[used] = 8 * b;
                used += 1;
            }
        }
        let shifts = &shift_buf[..used];
        let mut hists = [[0u32; 256]; 8];
        for &k in &self.keys {
            for (h, &sh) in hists.iter_mut().zip(shifts) {
                h[((k >> sh) & 0xff) as usize] += 1;
            }
        }
        for (hist, &shift) in hists.iter_mut().zip(shifts) {
            let mut acc = 0u32;
            for h in hist.iter_mut() {
                let c = *h;
                *h = acc;
                acc += c;
            }
            for j in 0..n {
                let k = self.keys[j];
                let d = ((k >> shift) & 0xff) as usize;
                let pos = hist[d] as usize;
                hist[d] += 1;
                self.keys2[pos] = k;
                self.idx2[pos] = self.idx[j];
            }
            std::mem::swap(&mut self.keys, &mut self.keys2);
            std::mem::swap(&mut self.idx, &mut self.idx2);
        }
        if high_only && varying & 0xffff_ffff != 0 {
            // Finish runs of equal high halves by the low half (stable).
            let mut start = 0;
            while start < n {
                let hi = self.keys[start] >> 32;
                let mut end = start + 1;
                while end < n && self.keys[end] >> 32 == hi {
                    end += 1;
                }
                if end - start > 1 {
                    let (keys, idx) = (&mut self.keys[start..end], &mut self.idx[start..end]);
                    if keys.len() <= 32 {
                        for i in 1..keys.len() {
                            let (k, x) = (keys[i], idx[i]);
                            let mut j = i;
                            while j > 0 && keys[j - 1] > k {
                                keys[j] = keys[j - 1];
                                idx[j] = idx[j - 1];
                                j -= 1;
                            }
                            keys[j] = k;
                            idx[j] = x;
                        }
                    } else {
                        let mut pairs: Vec<(u64, u32)> =
                            keys.iter().copied().zip(idx.iter().copied()).collect();
                        pairs.sort_by_key(|p| p.0); // stable
                        for (t, (k, x)) in pairs.into_iter().enumerate() {
                            keys[t] = k;
                            idx[t] = x;
                        }
                    }
                }
                start = end;
            }
        }
    }

    /// Calls `f(index, min_rank, max_rank)` for every loaded entry (ranks 1-based ascending by
    /// key; tied entries share `min_rank` and `max_rank`). Small-range integer keys (values
    /// rounded to declared decimals) are ranked by counting, without sorting; others are sorted.
    pub(crate) fn for_each_rank(&mut self, mut f: impl FnMut(u32, u32, u32)) {
        let n = self.keys.len();
        if n == 0 {
            return;
        }
        if self.kind != KeyKind::Int {
            // Keys of doubles span far more than 4n values unless the doubles are within a few
            // ulps of each other: sort without looking.
            self.sort();
            self.for_each_tie_group(f);
            return;
        }
        let (lo, hi) = self.key_span.unwrap_or_else(|| {
            let (mut lo, mut hi) = (u64::MAX, 0u64);
            for &k in &self.keys {
                lo = lo.min(k);
                hi = hi.max(k);
            }
            (lo, hi)
        });
        let range = hi - lo;
        if range <= 4 * n as u64 + 64 {
            let r = range as usize + 1;
            self.counts.clear();
            self.counts.resize(r, 0);
            for &k in &self.keys {
                self.counts[(k - lo) as usize] += 1;
            }
            // counts[v] becomes the number of keys below v (exclusive prefix sum) … kept with the
            // count itself to give both ends of a tie.
            let mut acc = 0u32;
            for c in self.counts.iter_mut() {
                let x = *c;
                *c = acc;
                acc += x;
            }
            for (j, &k) in self.keys.iter().enumerate() {
                let v = (k - lo) as usize;
                let below = self.counts[v];
                let upto = if v + 1 < r {
                    self.counts[v + 1]
                } else {
                    n as u32
                };
                f(self.idx[j], below + 1, upto);
            }
            return;
        }
        self.sort();
        self.for_each_tie_group(f);
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
    fn table(&mut self, kind: u8, n: usize, param: u64, f: impl Fn(f64) -> f64) -> Arc<Vec<f64>> {
        let key = (kind, n, param);
        if let Some(pos) = self.tables.iter().position(|(k, _)| *k == key) {
            return self.tables.swap_remove(pos).1;
        }
        // A poisoned lock only means another thread panicked mid-update of a cache of pure
        // values: its contents are still valid.
        let mut shared = SHARED.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, t)) = shared.iter().find(|(k, _)| *k == key) {
            return Arc::clone(t);
        }
        // Ranks start at 1: entries 0 and 1 (ranks 0 and 0.5) are never read.
        let t: Arc<Vec<f64>> = Arc::new(
            (0..=2 * n)
                .map(|h| if h < 2 { f64::NAN } else { f(h as f64 / 2.0) })
                .collect(),
        );
        if shared.len() >= SHARED_TABLES {
            shared.remove(0);
        }
        shared.push((key, Arc::clone(&t)));
        t
    }

    /// Returns a table taken by [`RankScratch::table`] to the cache (at most 8 kept).
    fn keep_table(&mut self, kind: u8, n: usize, param: u64, t: Arc<Vec<f64>>) {
        if self.tables.len() >= 8 {
            self.tables.remove(0);
        }
        self.tables.push(((kind, n, param), t));
    }
}

/// Min ranks (1 = smallest, ties share the smallest rank), in place into `out`; NaN entries get 0.
pub(crate) fn min_ranks_nan(row: &mut [f64], out: &mut [u32], s: &mut RankScratch) {
    s.load(row, None);
    out.iter_mut().for_each(|r| *r = 0);
    s.for_each_rank(|i, lo, _| out[i as usize] = lo);
}

/// See [`super::percent_rank`]; works in place, NaN = missing.
pub(crate) fn percent_rank_nan(
    row: &mut [f64],
    input_decimals: Option<u32>,
    output_decimals: Option<u32>,
    s: &mut RankScratch,
) {
    s.load_opts(row, input_decimals, false);
    percent_rank_write(row, output_decimals, s);
}

/// [`percent_rank_nan`] of `src`, written into `out`.
pub(crate) fn percent_rank_from(
    src: Source<'_>,
    out: &mut [f64],
    input_decimals: Option<u32>,
    output_decimals: Option<u32>,
    s: &mut RankScratch,
) {
    s.load_source(src, input_decimals);
    out.fill(f64::NAN);
    percent_rank_write(out, output_decimals, s);
}

fn percent_rank_write(row: &mut [f64], output_decimals: Option<u32>, s: &mut RankScratch) {
    let n = s.len();
    let denom = n as f64 - 1.0;
    // PR depends only on (rank, N): tabulate it (rounded) once per N.
    let param = u64::from(output_decimals.map_or(u32::MAX, |d| d));
    let table = s.table(4, n, param, |r| {
        let pr = if n > 1 { (r - 1.0) / denom } else { f64::NAN };
        match output_decimals {
            Some(d) if pr >= 0.0 => round_scaled(pr * pow10(d)) / pow10(d),
            _ => pr,
        }
    });
    s.for_each_rank(|i, lo, _| row[i as usize] = table[2 * lo as usize]);
    s.keep_table(4, n, param, table);
}

/// See [`super::rank_normal`]; works in place, NaN = missing.
pub(crate) fn rank_normal_nan(
    row: &mut [f64],
    form: RankNormalForm,
    key_decimals: Option<u32>,
    s: &mut RankScratch,
) {
    s.load_opts(row, key_decimals, false);
    rank_normal_write(row, form, s);
}

/// [`rank_normal_nan`] of `src`, written into `out`.
pub(crate) fn rank_normal_from(
    src: Source<'_>,
    out: &mut [f64],
    form: RankNormalForm,
    key_decimals: Option<u32>,
    s: &mut RankScratch,
) {
    s.load_source(src, key_decimals);
    out.fill(f64::NAN);
    rank_normal_write(out, form, s);
}

fn rank_normal_write(row: &mut [f64], form: RankNormalForm, s: &mut RankScratch) {
    let n = s.len();
    let nf = n as f64;
    let kind = match form {
        RankNormalForm::Iod => 1,
        RankNormalForm::Simd => 2,
    };
    // The transform depends only on (rank, N): tabulate it once per N (ties give half ranks).
    let table = s.table(kind, n, 0, |r| match form {
        RankNormalForm::Iod => normal_quantile((r - 0.5) / nf),
        RankNormalForm::Simd => normal_quantile(r / (nf + 1.0)),
    });
    s.for_each_rank(|i, lo, hi| row[i as usize] = table[(lo + hi) as usize]);
    s.keep_table(kind, n, 0, table);
}

/// See [`super::exp_transform`]; works in place, NaN = missing.
pub(crate) fn exp_transform_nan(
    row: &mut [f64],
    c: f64,
    key_decimals: Option<u32>,
    s: &mut RankScratch,
) {
    s.load_opts(row, key_decimals, false);
    exp_transform_write(row, c, s);
}

/// [`exp_transform_nan`] of `src`, written into `out`.
pub(crate) fn exp_transform_from(
    src: Source<'_>,
    out: &mut [f64],
    c: f64,
    key_decimals: Option<u32>,
    s: &mut RankScratch,
) {
    s.load_source(src, key_decimals);
    out.fill(f64::NAN);
    exp_transform_write(out, c, s);
}

fn exp_transform_write(row: &mut [f64], c: f64, s: &mut RankScratch) {
    let n = s.len();
    let nf = n as f64;
    let table = s.table(3, n, c.to_bits(), |r| exp_transform_r(r / nf, c));
    s.for_each_rank(|i, lo, _| row[i as usize] = table[2 * lo as usize]);
    s.keep_table(3, n, c.to_bits(), table);
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
    let mut out = vec![None; values.len()];
    s.for_each_rank(|i, lo, hi| out[i as usize] = Some(f64::from(lo + hi) / 2.0));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};

    /// The sort (bucket pass, or radix when the buckets are uneven) agrees with the standard
    /// library's stable sort, ties kept in load order, on spread, clustered, tied and
    /// heavy-tailed keys of several sizes.
    #[test]
    fn sort_matches_a_stable_sort() {
        let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(11);
        let mut s = RankScratch::default();
        let mut used_bucket = 0;
        for n in [2usize, 3, 63, 64, 65, 500, 2100, 5000] {
            for shape in 0..6 {
                let vals: Vec<f64> = (0..n)
                    .map(|_| {
                        let u: f64 = rng.random();
                        match shape {
                            0 => u,
                            1 => (u * 20.0).floor(), // many ties
                            2 => (-u.ln()).powi(6),  // heavy tail
                            3 => 1.0 + u * 1e-12,    // tiny spread
                            4 => {
                                if u < 0.5 {
                                    -u
                                } else {
                                    1e9 * u
                                }
                            } // two clusters
                            _ => (u - 0.5) * 1e-300, // subnormal-ish
                        }
                    })
                    .collect();
                let mut expect: Vec<(u64, u32)> = vals
                    .iter()
                    .enumerate()
                    .map(|(i, &v)| (f64_key(v), i as u32))
                    .collect();
                expect.sort_by_key(|p| p.0);
                s.load_keys(
                    vals.iter()
                        .enumerate()
                        .map(|(i, &v)| (f64_key(v), i as u32)),
                    if shape == 1 {
                        KeyKind::Int
                    } else {
                        KeyKind::F64
                    },
                );
                let mut probe = s.clone();
                used_bucket += usize::from(n >= 2 && probe.bucket_sort());
                s.sort();
                let got: Vec<(u64, u32)> = s.sorted().collect();
                assert_eq!(got, expect, "n={n} shape={shape}");
                // The same through load_opts, which fills the buckets while loading; missing
                // values (NaN) are left out.
                let mut row = vals.clone();
                for (i, v) in row.iter_mut().enumerate() {
                    if i % 7 == 3 {
                        *v = f64::NAN;
                    }
                }
                let expect: Vec<(u64, u32)> = expect
                    .iter()
                    .copied()
                    .filter(|&(_, i)| i % 7 != 3)
                    .collect();
                s.load_opts(&mut row, None, false);
                s.sort();
                let got: Vec<(u64, u32)> = s.sorted().collect();
                assert_eq!(got, expect, "load_opts: n={n} shape={shape}");
            }
        }
        assert!(
            used_bucket > 5,
            "the bucket pass is exercised ({used_bucket})"
        );
    }
}
