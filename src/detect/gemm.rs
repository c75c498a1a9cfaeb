//! The one hot loop: C = act(A * B + bias), f32, written so LLVM vectorises it for
//! SSE/AVX natively and simd128 in WebAssembly.

/// Activation fused into the GEMM's store.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Act {
    /// Identity.
    None,
    /// x if x > 0 else 0.1 x (the RetinaFace backbone's slope).
    Leaky,
}

impl Act {
    #[inline(always)]
    pub(crate) fn apply(self, v: f32) -> f32 {
        match self {
            Act::None => v,
            Act::Leaky => {
                if v > 0.0 {
                    v
                } else {
                    0.1 * v
                }
            }
        }
    }
}

/// Rows of A handled at once.
const MR: usize = 4;
/// Columns of B handled at once; B's row stride is a multiple of this.
pub const NR: usize = 16;

/// A borrowed output matrix: row `i` starts at `i * stride + offset`, `n` columns wide.
pub struct Out<'a> {
    /// Backing storage.
    pub data: &'a mut [f32],
    /// Distance between rows.
    pub stride: usize,
    /// First column written.
    pub offset: usize,
}

/// `a`: m x k row-major. `b`: k x nb row-major with `nb` a multiple of [`NR`], of which the
/// first `n` columns are real (the rest zero). Writes `n` columns of each of the m rows.
pub fn gemm(a: &[f32], m: usize, k: usize, b: &[f32], nb: usize, n: usize, bias: &[f32], out: &mut Out<'_>, act: Act) {
    debug_assert!(nb % NR == 0 && n <= nb && a.len() >= m * k && b.len() >= k * nb);
    let mut i0 = 0;
    while i0 < m {
        let rows = (m - i0).min(MR);
        // Short tails reuse the last row; their results are not stored.
        let r: [usize; MR] = core::array::from_fn(|t| (i0 + t.min(rows - 1)) * k);
        let (a0, a1, a2, a3) = (&a[r[0]..r[0] + k], &a[r[1]..r[1] + k], &a[r[2]..r[2] + k], &a[r[3]..r[3] + k]);
        let mut j0 = 0;
        while j0 < n {
            let mut acc = [[0f32; NR]; MR];
            for kk in 0..k {
                let brow: &[f32; NR] = b[kk * nb + j0..kk * nb + j0 + NR].try_into().unwrap();
                let av = [a0[kk], a1[kk], a2[kk], a3[kk]];
                for t in 0..MR {
                    for j in 0..NR {
                        acc[t][j] += av[t] * brow[j];
                    }
                }
            }
            let cols = (n - j0).min(NR);
            for (t, acc_row) in acc.iter().enumerate().take(rows) {
                let base = (i0 + t) * out.stride + out.offset + j0;
                let dst = &mut out.data[base..base + cols];
                for j in 0..cols {
                    dst[j] = act.apply(acc_row[j] + bias[j0 + j]);
                }
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
        gemm(&a, m, k, &b, nb, n, &bias, &mut Out { data: &mut c, stride: n + 3, offset: 2 }, Act::Leaky);
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
