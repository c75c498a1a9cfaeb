//! The one hot loop: C = act(A * B + bias), f32, written so LLVM vectorises it for
//! SSE/AVX natively and simd128 in WebAssembly.

/// Activation fused into the GEMM's store.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Act {
    /// Identity.
    None,
    /// max(x, 0).
    Relu,
    /// x if x > 0 else 0.1 x (the RetinaFace backbone's slope).
    Leaky,
}

/// Rows of A handled at once. Natively 6: 12 accumulators, 2 vectors of B and 1 broadcast
/// use 15 of x86-64's 16 SIMD registers. V8 keeps one of those 16 for itself, so in
/// WebAssembly 6 rows spill: 4 rows run the detector ~10% faster there (Node, 40 photos).
#[cfg(not(target_arch = "wasm32"))]
const MR: usize = 6;
#[cfg(target_arch = "wasm32")]
const MR: usize = 4;
/// Columns of B handled at once (two 4-lane vectors); B's column count is a multiple of
/// this.
pub const NR: usize = 8;

/// A borrowed output matrix: row `i` starts at `i * stride + offset`, `n` columns wide.
pub struct Out<'a> {
    /// Backing storage.
    pub data: &'a mut [f32],
    /// Distance between rows.
    pub stride: usize,
    /// First column written.
    pub offset: usize,
}

impl Out<'_> {
    /// Writes the first `cols` (at most [`NR`]) of 8 lanes to row `row` from column `col`.
    #[inline(always)]
    pub fn store(&mut self, row: usize, col: usize, cols: usize, v: [v4::V; 2]) {
        let base = row * self.stride + self.offset + col;
        if cols == NR {
            let (lo, hi) = self.data[base..base + NR].split_at_mut(4);
            v4::store(v[0], lo.try_into().unwrap());
            v4::store(v[1], hi.try_into().unwrap());
        } else {
            let mut lanes = [0f32; NR];
            let (lo, hi) = lanes.split_at_mut(4);
            v4::store(v[0], lo.try_into().unwrap());
            v4::store(v[1], hi.try_into().unwrap());
            self.data[base..base + cols].copy_from_slice(&lanes[..cols]);
        }
    }
}

/// Four f32 lanes: SSE2 on x86-64 (always present), simd128 in WebAssembly, else scalar.
pub(crate) mod v4 {
    #[cfg(target_arch = "x86_64")]
    mod imp {
        use core::arch::x86_64::*;
        pub type V = __m128;
        #[inline(always)]
        pub fn zero() -> V {
            unsafe { _mm_setzero_ps() }
        }
        #[inline(always)]
        pub fn splat(x: f32) -> V {
            unsafe { _mm_set1_ps(x) }
        }
        #[inline(always)]
        pub fn load(s: &[f32]) -> V {
            assert!(s.len() >= 4);
            unsafe { _mm_loadu_ps(s.as_ptr()) }
        }
        #[inline(always)]
        pub fn madd(acc: V, a: V, b: V) -> V {
            unsafe { _mm_add_ps(acc, _mm_mul_ps(a, b)) }
        }
        #[inline(always)]
        pub fn store(v: V, d: &mut [f32; 4]) {
            unsafe { _mm_storeu_ps(d.as_mut_ptr(), v) }
        }
        #[inline(always)]
        pub fn max(a: V, b: V) -> V {
            unsafe { _mm_max_ps(a, b) }
        }
        #[inline(always)]
        pub fn mul(a: V, b: V) -> V {
            unsafe { _mm_mul_ps(a, b) }
        }
        #[inline(always)]
        pub fn add(a: V, b: V) -> V {
            unsafe { _mm_add_ps(a, b) }
        }
        #[inline(always)]
        pub fn sub(a: V, b: V) -> V {
            unsafe { _mm_sub_ps(a, b) }
        }
        #[inline(always)]
        pub fn abs(a: V) -> V {
            unsafe { _mm_andnot_ps(_mm_set1_ps(-0.0), a) }
        }
    }
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    mod imp {
        use core::arch::wasm32::*;
        pub type V = v128;
        #[inline(always)]
        pub fn zero() -> V {
            f32x4_splat(0.0)
        }
        #[inline(always)]
        pub fn splat(x: f32) -> V {
            f32x4_splat(x)
        }
        #[inline(always)]
        pub fn load(s: &[f32]) -> V {
            assert!(s.len() >= 4);
            unsafe { v128_load(s.as_ptr() as *const v128) }
        }
        #[inline(always)]
        pub fn madd(acc: V, a: V, b: V) -> V {
            f32x4_add(acc, f32x4_mul(a, b))
        }
        #[inline(always)]
        pub fn store(v: V, d: &mut [f32; 4]) {
            unsafe { v128_store(d.as_mut_ptr() as *mut v128, v) }
        }
        #[inline(always)]
        pub fn max(a: V, b: V) -> V {
            // pmax is one maxps; max's NaN and -0 rules cost V8 several instructions.
            f32x4_pmax(a, b)
        }
        #[inline(always)]
        pub fn mul(a: V, b: V) -> V {
            f32x4_mul(a, b)
        }
        #[inline(always)]
        pub fn add(a: V, b: V) -> V {
            f32x4_add(a, b)
        }
        #[inline(always)]
        pub fn sub(a: V, b: V) -> V {
            f32x4_sub(a, b)
        }
        #[inline(always)]
        pub fn abs(a: V) -> V {
            f32x4_abs(a)
        }
    }
    #[cfg(not(any(target_arch = "x86_64", all(target_arch = "wasm32", target_feature = "simd128"))))]
    mod imp {
        pub type V = [f32; 4];
        #[inline(always)]
        pub fn zero() -> V {
            [0.0; 4]
        }
        #[inline(always)]
        pub fn splat(x: f32) -> V {
            [x; 4]
        }
        #[inline(always)]
        pub fn load(s: &[f32]) -> V {
            [s[0], s[1], s[2], s[3]]
        }
        #[inline(always)]
        pub fn madd(acc: V, a: V, b: V) -> V {
            core::array::from_fn(|i| acc[i] + a[i] * b[i])
        }
        #[inline(always)]
        pub fn store(v: V, d: &mut [f32; 4]) {
            *d = v;
        }
        #[inline(always)]
        pub fn max(a: V, b: V) -> V {
            core::array::from_fn(|i| a[i].max(b[i]))
        }
        #[inline(always)]
        pub fn mul(a: V, b: V) -> V {
            core::array::from_fn(|i| a[i] * b[i])
        }
        #[inline(always)]
        pub fn add(a: V, b: V) -> V {
            core::array::from_fn(|i| a[i] + b[i])
        }
        #[inline(always)]
        pub fn sub(a: V, b: V) -> V {
            core::array::from_fn(|i| a[i] - b[i])
        }
        #[inline(always)]
        pub fn abs(a: V) -> V {
            a.map(f32::abs)
        }
    }
    pub use imp::*;

    /// The activation on four lanes (leaky ReLU is max(v, 0.1 v)).
    #[inline(always)]
    pub fn act(a: super::Act, v: V) -> V {
        match a {
            super::Act::None => v,
            super::Act::Relu => max(v, zero()),
            super::Act::Leaky => max(v, mul(v, splat(0.1))),
        }
    }
}

/// Repacks a k x nb row-major matrix (`nb` a multiple of [`NR`]) into the layout [`gemm`]
/// reads: panels of [`NR`] columns, each k rows of [`NR`] contiguous values, so the kernel
/// streams B sequentially instead of striding across it.
pub fn pack_b(b: &[f32], k: usize, nb: usize) -> Vec<f32> {
    assert!(nb % NR == 0 && b.len() == k * nb);
    let mut packed = Vec::with_capacity(b.len());
    for j0 in (0..nb).step_by(NR) {
        for row in b.chunks_exact(nb) {
            packed.extend_from_slice(&row[j0..j0 + NR]);
        }
    }
    packed
}

/// `R` rows of `a` (`width` long) from row `i0`, of which `rows` are real: a short tail
/// repeats the last real row, whose results are not stored.
#[inline(always)]
pub fn row_block<T, const R: usize>(a: &[T], i0: usize, rows: usize, width: usize) -> [&[T]; R] {
    core::array::from_fn(|t| {
        let r = (i0 + t.min(rows - 1)) * width;
        &a[r..r + width]
    })
}

/// `a`: m x k row-major. `b`: a k x nb matrix packed by [`pack_b`], of which the first `n`
/// columns are real (the rest zero). Writes `n` columns of each of the m rows.
pub fn gemm(a: &[f32], m: usize, k: usize, b: &[f32], nb: usize, n: usize, bias: &[f32], out: &mut Out<'_>, act: Act) {
    assert!(nb % NR == 0 && n <= nb && a.len() >= m * k && b.len() >= k * nb && bias.len() >= nb);
    let mut i0 = 0;
    while i0 < m {
        let rows = (m - i0).min(MR);
        let ar: [&[f32]; MR] = row_block(a, i0, rows, k);
        let mut j0 = 0;
        while j0 < n {
            let mut acc = [[v4::zero(); 2]; MR];
            let panel = &b[j0 * k..(j0 + NR) * k];
            for (kk, brow) in panel.chunks_exact(NR).enumerate() {
                let (b0, b1) = (v4::load(&brow[..4]), v4::load(&brow[4..]));
                for t in 0..MR {
                    let av = v4::splat(ar[t][kk]);
                    acc[t][0] = v4::madd(acc[t][0], av, b0);
                    acc[t][1] = v4::madd(acc[t][1], av, b1);
                }
            }
            let cols = (n - j0).min(NR);
            let (bias0, bias1) = (v4::load(&bias[j0..j0 + 4]), v4::load(&bias[j0 + 4..j0 + 8]));
            for (t, acc_row) in acc.iter().enumerate().take(rows) {
                let v0 = v4::act(act, v4::add(acc_row[0], bias0));
                let v1 = v4::act(act, v4::add(acc_row[1], bias1));
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

    #[test]
    fn matches_naive_product() {
        let (m, k, n): (usize, usize, usize) = (7, 13, 21);
        let nb = n.div_ceil(NR) * NR;
        let a: Vec<f32> = (0..m * k).map(|i| ((i * 7 % 11) as f32) - 5.0).collect();
        let mut b = vec![0f32; k * nb];
        for kk in 0..k {
            for j in 0..n {
                b[kk * nb + j] = ((kk * 3 + j * 5) % 9) as f32 - 4.0;
            }
        }
        let bias: Vec<f32> = (0..nb).map(|j| j as f32 * 0.5).collect();
        let mut c = vec![f32::NAN; m * (n + 3)];
        gemm(&a, m, k, &pack_b(&b, k, nb), nb, n, &bias, &mut Out { data: &mut c, stride: n + 3, offset: 2 }, Act::Leaky);
        for i in 0..m {
            for j in 0..n {
                let mut s = bias[j];
                for kk in 0..k {
                    s += a[i * k + kk] * b[kk * nb + j];
                }
                let want = if s > 0.0 { s } else { 0.1 * s };
                assert!((c[i * (n + 3) + 2 + j] - want).abs() < 1e-3, "({i},{j})");
            }
            assert!(c[i * (n + 3)].is_nan() && c[i * (n + 3) + 1].is_nan());
        }
    }
}
