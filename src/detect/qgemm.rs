//! The pointwise convolutions' GEMM in 16-bit integers: C = act(A * B + bias) with A and B
//! rounded to integers, multiplied in pairs (`pmaddwd` on x86-64, `i32x4.dot_i16x8_s` in
//! WebAssembly: 8 multiply-adds per instruction, twice the f32 kernel's rate).
//!
//! B (the weights) has one scale per column, chosen at load; A (the activations) one per
//! row, from the row's largest magnitude. Both are rounded to at most `q` steps either side of
//! zero, with `q` chosen from k so that no sum of k products can overflow an i32.

use super::gemm::{row_block, v4, Act, Out, NR};
use super::net::resize_for_overwrite;

/// Rows of A handled at once (as in the f32 kernel: 8 accumulators fit V8's registers).
const MR: usize = 4;

/// Largest integer magnitude for a product of `k` terms: k q^2 stays below 2^31.
fn steps(k: usize) -> f32 {
    ((i32::MAX as f64 / k.max(2).next_multiple_of(2) as f64).sqrt().floor().min(i16::MAX as f64)) as f32
}

/// Rounds to the nearest integer, ties to even, for |x| < 2^22 (adding and removing 1.5 x 2^23
/// leaves no fraction bits); unlike `round_ties_even` this is plain arithmetic on every target.
#[inline(always)]
fn round(x: f32) -> i32 {
    ((x + MAGIC) - MAGIC) as i32
}

/// 1.5 x 2^23, see [`round`].
const MAGIC: f32 = 12_582_912.0;

/// Weights for [`gemm_q`]: a k x nb matrix rounded to integers column by column, in panels of
/// [`NR`] columns; in each panel, per pair of rows (k rounded up to even), the 2 values of
/// each column side by side.
pub struct QuantB {
    data: Vec<i16>,
    /// Value of one integer step, per column.
    scale: Vec<f32>,
    k: usize,
}

impl QuantB {
    /// Quantises a k x nb row-major matrix (`nb` a multiple of [`NR`]).
    pub fn new(b: &[f32], k: usize, nb: usize) -> Self {
        assert!(nb % NR == 0 && b.len() == k * nb);
        let q = steps(k);
        let scale: Vec<f32> = (0..nb).map(|j| (0..k).map(|r| b[r * nb + j].abs()).fold(0.0, f32::max) / q).collect();
        let k2 = k.next_multiple_of(2);
        let mut data = Vec::with_capacity(k2 * nb);
        for j0 in (0..nb).step_by(NR) {
            for r in (0..k2).step_by(2) {
                for j in j0..j0 + NR {
                    for row in [r, r + 1] {
                        let v = if row < k && scale[j] > 0.0 { round(b[row * nb + j] / scale[j]) } else { 0 };
                        data.push(v as i16);
                    }
                }
            }
        }
        Self { data, scale, k }
    }
}

/// Integer lanes: SSE2 on x86-64, simd128 in WebAssembly, else scalar.
mod i4 {
    #[cfg(target_arch = "x86_64")]
    mod imp {
        use core::arch::x86_64::*;
        /// Four i32 accumulators.
        pub type I = __m128i;
        /// Eight i16: four columns' pairs of B, or one pair of A repeated.
        pub type P = __m128i;
        #[inline(always)]
        pub fn zero() -> I {
            unsafe { _mm_setzero_si128() }
        }
        #[inline(always)]
        pub fn load_pairs(s: &[i16]) -> P {
            assert!(s.len() >= 8);
            unsafe { _mm_loadu_si128(s.as_ptr() as *const __m128i) }
        }
        #[inline(always)]
        pub fn splat_pair(pair: i32) -> P {
            unsafe { _mm_set1_epi32(pair) }
        }
        #[inline(always)]
        pub fn dot_add(acc: I, a: P, b: P) -> I {
            unsafe { _mm_add_epi32(acc, _mm_madd_epi16(a, b)) }
        }
        #[inline(always)]
        pub fn to_f32(v: I) -> super::super::v4::V {
            unsafe { _mm_cvtepi32_ps(v) }
        }
        /// Eight floats holding integers in i16 range, as i16 lanes.
        #[inline(always)]
        pub fn pack(lo: super::super::v4::V, hi: super::super::v4::V) -> P {
            unsafe { _mm_packs_epi32(_mm_cvttps_epi32(lo), _mm_cvttps_epi32(hi)) }
        }
        /// Stores eight i16 lanes as four pairs.
        #[inline(always)]
        pub fn store_pairs(p: P, d: &mut [i32; 4]) {
            unsafe { _mm_storeu_si128(d.as_mut_ptr() as *mut __m128i, p) }
        }
    }
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    mod imp {
        use core::arch::wasm32::*;
        pub type I = v128;
        pub type P = v128;
        #[inline(always)]
        pub fn zero() -> I {
            i32x4_splat(0)
        }
        #[inline(always)]
        pub fn load_pairs(s: &[i16]) -> P {
            assert!(s.len() >= 8);
            unsafe { v128_load(s.as_ptr() as *const v128) }
        }
        #[inline(always)]
        pub fn splat_pair(pair: i32) -> P {
            i32x4_splat(pair)
        }
        #[inline(always)]
        pub fn dot_add(acc: I, a: P, b: P) -> I {
            i32x4_add(acc, i32x4_dot_i16x8(a, b))
        }
        #[inline(always)]
        pub fn to_f32(v: I) -> super::super::v4::V {
            f32x4_convert_i32x4(v)
        }
        #[inline(always)]
        pub fn pack(lo: super::super::v4::V, hi: super::super::v4::V) -> P {
            i16x8_narrow_i32x4(i32x4_trunc_sat_f32x4(lo), i32x4_trunc_sat_f32x4(hi))
        }
        #[inline(always)]
        pub fn store_pairs(p: P, d: &mut [i32; 4]) {
            unsafe { v128_store(d.as_mut_ptr() as *mut v128, p) }
        }
    }
    #[cfg(not(any(target_arch = "x86_64", all(target_arch = "wasm32", target_feature = "simd128"))))]
    mod imp {
        pub type I = [i32; 4];
        pub type P = [i16; 8];
        #[inline(always)]
        pub fn zero() -> I {
            [0; 4]
        }
        #[inline(always)]
        pub fn load_pairs(s: &[i16]) -> P {
            core::array::from_fn(|i| s[i])
        }
        #[inline(always)]
        pub fn splat_pair(pair: i32) -> P {
            core::array::from_fn(|i| (pair >> (16 * (i % 2))) as i16)
        }
        #[inline(always)]
        pub fn dot_add(acc: I, a: P, b: P) -> I {
            core::array::from_fn(|j| acc[j] + i32::from(a[2 * j]) * i32::from(b[2 * j]) + i32::from(a[2 * j + 1]) * i32::from(b[2 * j + 1]))
        }
        #[inline(always)]
        pub fn to_f32(v: I) -> super::super::v4::V {
            v.map(|x| x as f32)
        }
        #[inline(always)]
        pub fn pack(lo: super::super::v4::V, hi: super::super::v4::V) -> P {
            core::array::from_fn(|i| if i < 4 { lo[i] } else { hi[i - 4] } as i16)
        }
        #[inline(always)]
        pub fn store_pairs(p: P, d: &mut [i32; 4]) {
            *d = core::array::from_fn(|i| (i32::from(p[2 * i]) & 0xffff) | (i32::from(p[2 * i + 1]) << 16));
        }
    }
    pub use imp::*;
}

/// Rounds each row of A (m x k) to integers of its own step (from the row's largest
/// magnitude: a pixel's channels, so a few strong pixels cost the others no precision), as
/// pairs packed in i32 (low half first), k rounded up to even, into `packed`. Returns the steps.
fn quantize_a(a: &[f32], m: usize, k: usize, packed: &mut Vec<i32>) -> Vec<f32> {
    let q = steps(k);
    let half = k.div_ceil(2);
    // Every pair of every row is written below.
    resize_for_overwrite(packed, m * half, 0x4000_4000);
    let mut scales = vec![0f32; m];
    let magic = v4::splat(MAGIC);
    for ((row, out), scale) in a[..m * k].chunks_exact(k).zip(packed.chunks_exact_mut(half)).zip(&mut scales) {
        let mut quads = row.chunks_exact(4);
        let mut top = v4::zero();
        for c in &mut quads {
            top = v4::max(top, v4::abs(v4::load(c)));
        }
        let mut lanes = [0f32; 4];
        v4::store(top, &mut lanes);
        // Comparisons rather than f32::max, which is a call to fmaxf in WebAssembly.
        let largest = lanes.iter().chain(quads.remainder()).map(|v| v.abs()).fold(0f32, |m, v| if v > m { v } else { m });
        *scale = largest / q;
        let inv = if largest > 0.0 { q / largest } else { 0.0 };
        // Eight values at a time, rounded as `round` does.
        let vinv = v4::splat(inv);
        let rounded = |c: &[f32]| v4::sub(v4::add(v4::mul(v4::load(c), vinv), magic), magic);
        let mut eights = row.chunks_exact(8);
        let mut outs = out.chunks_exact_mut(4);
        for (c, o) in (&mut eights).zip(&mut outs) {
            i4::store_pairs(i4::pack(rounded(&c[..4]), rounded(&c[4..])), o.try_into().unwrap());
        }
        // The last 0-7 values, an odd one paired with 0.
        let pair = |lo: f32, hi: f32| (round(lo * inv) & 0xffff) | (round(hi * inv) << 16);
        for (o, p) in out[k / 8 * 4..].iter_mut().zip(eights.remainder().chunks(2)) {
            *o = pair(p[0], p.get(1).copied().unwrap_or(0.0));
        }
    }
    scales
}

/// `a`: m x k row-major; `b`: the k x nb weights as [`QuantB`], of which the first `n`
/// columns are real. Writes `n` columns of each of the m rows of `out`.
/// `aq` is a work area for A's integers (reused from call to call).
#[allow(clippy::too_many_arguments)]
pub fn gemm_q(a: &[f32], m: usize, k: usize, b: &QuantB, n: usize, bias: &[f32], out: &mut Out<'_>, act: Act, aq: &mut Vec<i32>) {
    let nb = b.scale.len();
    assert!(b.k == k && n <= nb && a.len() >= m * k && bias.len() >= nb);
    let a_scales = quantize_a(a, m, k, aq);
    let half = k.div_ceil(2);
    let mut i0 = 0;
    while i0 < m {
        let rows = (m - i0).min(MR);
        let ar: [&[i32]; MR] = row_block(aq, i0, rows, half);
        let mut j0 = 0;
        while j0 < n {
            let mut acc = [[i4::zero(); 2]; MR];
            let panel = &b.data[j0 * half * 2..(j0 + NR) * half * 2];
            for (kp, bpair) in panel.chunks_exact(2 * NR).enumerate() {
                let (b0, b1) = (i4::load_pairs(&bpair[..8]), i4::load_pairs(&bpair[8..]));
                for t in 0..MR {
                    let av = i4::splat_pair(ar[t][kp]);
                    acc[t][0] = i4::dot_add(acc[t][0], av, b0);
                    acc[t][1] = i4::dot_add(acc[t][1], av, b1);
                }
            }
            let cols = (n - j0).min(NR);
            let (bs0, bs1) = (v4::load(&b.scale[j0..j0 + 4]), v4::load(&b.scale[j0 + 4..j0 + 8]));
            let (bias0, bias1) = (v4::load(&bias[j0..j0 + 4]), v4::load(&bias[j0 + 4..j0 + 8]));
            for (t, acc_row) in acc.iter().enumerate().take(rows) {
                let row_scale = v4::splat(a_scales[i0 + t]);
                let (s0, s1) = (v4::mul(row_scale, bs0), v4::mul(row_scale, bs1));
                let v0 = v4::act(act, v4::add(v4::mul(i4::to_f32(acc_row[0]), s0), bias0));
                let v1 = v4::act(act, v4::add(v4::mul(i4::to_f32(acc_row[1]), s1), bias1));
                out.store(i0 + t, j0, cols, [v0, v1]);
            }
            j0 += NR;
        }
        i0 += MR;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(a: &[f32], m: usize, k: usize, b: &[f32], nb: usize, n: usize) -> Vec<f32> {
        let mut c = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                c[i * n + j] = (0..k).map(|r| a[i * k + r] * b[r * nb + j]).sum();
            }
        }
        c
    }

    #[test]
    fn close_to_the_f32_product() {
        // Odd k (a padded pair), a row tail, a column tail; values spanning two decades.
        for (m, k, n) in [(7usize, 13usize, 21usize), (9, 64, 8), (5, 256, 30)] {
            let nb = n.div_ceil(NR) * NR;
            let a: Vec<f32> = (0..m * k).map(|i| (((i * 37) % 23) as f32 - 11.0) * if i % 5 == 0 { 10.0 } else { 0.1 }).collect();
            let mut b = vec![0f32; k * nb];
            for r in 0..k {
                for j in 0..n {
                    b[r * nb + j] = ((r * 3 + j * 5) % 9) as f32 - 4.0 + 0.01 * j as f32;
                }
            }
            let bias: Vec<f32> = (0..nb).map(|j| j as f32).collect();
            let mut c = vec![f32::NAN; m * n];
            gemm_q(&a, m, k, &QuantB::new(&b, k, nb), n, &bias, &mut Out { data: &mut c, stride: n, offset: 0 }, Act::None, &mut Vec::new());
            let want = naive(&a, m, k, &b, nb, n);
            // Rounding error per term is at most half a step of a and of b.
            let amax = a.iter().fold(0f32, |s, v| s.max(v.abs())); // bounds every row's largest
            let bmax = b.iter().fold(0f32, |s, v| s.max(v.abs()));
            let tolerance = k as f32 * amax * bmax / steps(k);
            for i in 0..m {
                for j in 0..n {
                    let (got, want) = (c[i * n + j], want[i * n + j] + bias[j]);
                    assert!((got - want).abs() <= tolerance, "{m}x{k}x{n} ({i},{j}): {got} vs {want}");
                }
            }
        }
    }

    #[test]
    fn largest_values_do_not_overflow() {
        // Every product at its largest magnitude and the same sign: k q^2 must fit an i32.
        for k in [2usize, 3, 64, 255, 256, 1000] {
            let (m, n) = (5, NR);
            let a = vec![-3.0f32; m * k];
            let b = vec![-2.0f32; k * n];
            let mut c = vec![0f32; m * n];
            gemm_q(&a, m, k, &QuantB::new(&b, k, n), n, &[0.0; NR], &mut Out { data: &mut c, stride: n, offset: 0 }, Act::None, &mut Vec::new());
            let want = 6.0 * k as f32;
            assert!(c.iter().all(|&v| (v - want).abs() <= want * 1e-3), "k {k}: {:?} vs {want}", &c[..2]);
        }
    }

    #[test]
    fn rounds_to_nearest() {
        assert_eq!([0.4, 0.6, -0.6, 2.5, 3.5, -2.5, 2896.0].map(round), [0, 1, -1, 2, 4, -2, 2896]);
    }
}
