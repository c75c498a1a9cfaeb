//! RetinaFace MobileNet-0.25 forward pass, channels-last (NHWC), any input size.
//! Architecture as in biubug6/Pytorch_Retinaface: MobileNetV1-0.25 body, 3-level FPN,
//! SSH context modules, and per-level class / box / landmark heads (2 anchors each).

use super::gemm::{gemm, pack_b, v4, Act, Out, NR};
use super::qgemm::{gemm_q, QuantB};
use super::weights::Tensor;
use crate::error::ErrorCode;

/// A feature map, channels-last.
pub struct Feature {
    /// Rows.
    pub h: usize,
    /// Columns.
    pub w: usize,
    /// Channels.
    pub c: usize,
    /// h * w * c values.
    pub data: Vec<f32>,
}

/// Memory reused from layer to layer, and pass to pass, while one photo is searched: the
/// feature maps and the Winograd and integer-product work areas. Allocating each of them
/// zero-filled cost a few percent of the network's time (about 20 MB written per pass on a
/// 640 x 427 input); a reused buffer is only resized. Every kernel writes each value it later
/// reads, so old values never matter: test builds fill reused buffers with a huge positive
/// value (which, unlike NaN, survives ReLU's max) and the integer work area with large ones,
/// so a value read before it is written shows as a wildly wrong output.
#[derive(Default)]
pub struct Scratch {
    free: Vec<Vec<f32>>,
    wino_v: Vec<f32>,
    wino_m: Vec<f32>,
    pub(super) quant: Vec<i32>,
}

impl Scratch {
    /// A feature map of the given size whose values are unspecified until written: the
    /// smallest free buffer that holds it, else the largest one grown (or a new one).
    pub fn feature(&mut self, h: usize, w: usize, c: usize) -> Feature {
        let n = h * w * c;
        let fits = self.free.iter().enumerate().filter(|(_, b)| b.capacity() >= n).min_by_key(|(_, b)| b.capacity());
        let pick = fits.or_else(|| self.free.iter().enumerate().max_by_key(|(_, b)| b.capacity())).map(|(i, _)| i);
        let mut data = pick.map(|i| self.free.swap_remove(i)).unwrap_or_default();
        resize_for_overwrite(&mut data, n, POISON);
        Feature { h, w, c, data }
    }

    /// Hands a map back for the next layer to reuse.
    pub fn recycle(&mut self, f: Feature) {
        self.free.push(f.data);
    }
}

/// What test builds fill reused f32 buffers with (see [`Scratch`]).
const POISON: f32 = 1e20;

/// Sets `v`'s length to `n`, zero-filling only what it grows by: the caller overwrites every
/// value it reads. Test builds fill it all with `poison` to prove that.
pub(super) fn resize_for_overwrite<T: Copy + Default>(v: &mut Vec<T>, n: usize, poison: T) {
    if n > v.capacity() {
        // Growing moves the buffer: nothing old is worth copying.
        v.clear();
    }
    v.truncate(n);
    v.resize(n, T::default());
    if cfg!(test) {
        v.fill(poison);
    }
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Kind {
    Full3 { stride: usize },
    Depthwise3 { stride: usize },
    Pointwise,
}

struct Conv {
    kind: Kind,
    cin: usize,
    cout: usize,
    /// Columns of the weight matrix (cout rounded up to NR) for GEMM kinds.
    nb: usize,
    /// GEMM kinds: the (taps x cin) x nb matrix packed by [`pack_b`] (with a single panel,
    /// as in the stem, that is plain row-major), empty when `wq` holds the weights.
    /// Depthwise: tap-major [9][C].
    w: Vec<f32>,
    bias: Vec<f32>,
    /// Stride-1 3x3 kernels in the Winograd F(4x4, 3x3) domain: 36 matrices of cin x nb
    /// (U = G g G^T), each packed by [`pack_b`]; `None` runs the im2col reference path.
    wino: Option<Vec<f32>>,
    /// Pointwise weights in 16-bit integers for [`gemm_q`] (fast path only).
    wq: Option<QuantB>,
    /// Specialised kernels (direct stem, border-free depthwise interior) allowed.
    fast: bool,
}

/// Whether convolutions use the fast kernels (Winograd F(4x4, 3x3) for stride-1 3x3, 4x
/// fewer multiply-adds; a direct stem; border-free depthwise interiors; pointwise products in
/// 16-bit integers) or the plain f32 im2col GEMM and generic depthwise loop they are tested
/// against.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Path {
    /// Specialised kernels where they apply.
    Fast,
    /// The fast kernels with pointwise products in f32: isolates what rounding changes.
    #[cfg_attr(not(test), allow(dead_code))]
    FastFloat,
    /// im2col GEMM and the generic depthwise loop everywhere.
    #[cfg_attr(not(test), allow(dead_code))]
    Reference,
}

/// Winograd F(4x4, 3x3): 4x4 output tiles from 6x6 input patches, 36 products per tile
/// instead of 144 (4x fewer multiply-adds than direct, 1.8x fewer than F(2x2, 3x3)).
const WINO_OUT: usize = 4;
const WINO_IN: usize = WINO_OUT + 2;
const WINO_POS: usize = WINO_IN * WINO_IN;
/// Output tiles transformed per batch: the batch's 36 input and output matrices stay in
/// cache (36 x 24 x 64 floats = 216 KB at most). A multiple of the GEMM's row block.
const WINO_TILES: usize = 24;

/// G g for one column of a 3x3 kernel (Lavin & Gray, points 0, 1, -1, 2, -2, infinity).
fn wino_g(g: [f32; 3]) -> [f32; 6] {
    [
        g[0] / 4.0,
        -(g[0] + g[1] + g[2]) / 6.0,
        -(g[0] - g[1] + g[2]) / 6.0,
        g[0] / 24.0 + g[1] / 12.0 + g[2] / 6.0,
        g[0] / 24.0 - g[1] / 12.0 + g[2] / 6.0,
        g[2],
    ]
}

/// U = G g G^T for one 3x3 kernel `g` (row-major), row-major 6x6.
fn wino_kernel(g: &[f32]) -> [f32; WINO_POS] {
    let cols: [[f32; 6]; 3] = core::array::from_fn(|kx| wino_g([g[kx], g[3 + kx], g[6 + kx]]));
    let mut u = [0.0; WINO_POS];
    for i in 0..WINO_IN {
        let row = wino_g([cols[0][i], cols[1][i], cols[2][i]]);
        u[i * WINO_IN..(i + 1) * WINO_IN].copy_from_slice(&row);
    }
    u
}

/// B^T d along one line of six input vectors.
#[inline(always)]
fn wino_in(d: [v4::V; 6]) -> [v4::V; 6] {
    use v4::{add, mul, splat, sub};
    let (four, five, two) = (splat(4.0), splat(5.0), splat(2.0));
    [
        add(sub(mul(four, d[0]), mul(five, d[2])), d[4]),
        sub(add(d[3], d[4]), mul(four, add(d[1], d[2]))),
        add(sub(d[4], d[3]), mul(four, sub(d[1], d[2]))),
        add(sub(d[4], d[2]), mul(two, sub(d[3], d[1]))),
        add(sub(d[4], d[2]), mul(two, sub(d[1], d[3]))),
        add(sub(mul(four, d[1]), mul(five, d[3])), d[5]),
    ]
}

/// A^T m along one line of six product vectors.
#[inline(always)]
fn wino_out(m: [v4::V; 6]) -> [v4::V; 4] {
    use v4::{add, mul, splat, sub};
    let (s12, d12, s34, d34) = (add(m[1], m[2]), sub(m[1], m[2]), add(m[3], m[4]), sub(m[3], m[4]));
    [
        add(add(m[0], s12), s34),
        add(d12, mul(splat(2.0), d34)),
        add(s12, mul(splat(4.0), s34)),
        add(add(d12, mul(splat(8.0), d34)), m[5]),
    ]
}

/// Output positions (of `n_out`) whose 3x3 window, at `stride` with padding 1, lies inside
/// an input of `n_in`: every position but the borders.
fn inside_span(n_out: usize, n_in: usize, stride: usize) -> core::ops::Range<usize> {
    let inside = |o: usize| o * stride >= 1 && o * stride + 1 < n_in;
    let lo = (0..n_out).position(inside).unwrap_or(n_out);
    lo..lo + (lo..n_out).take_while(|&o| inside(o)).count()
}

fn out_size(n: usize, stride: usize) -> usize {
    // 3x3 kernels, padding 1.
    (n - 1) / stride + 1
}

impl Conv {
    fn load(weight: &Tensor, bias: &Tensor, kind: Kind, path: Path) -> Result<Self, ErrorCode> {
        let d = &weight.dims;
        if d.len() != 4 || bias.dims != [d[0]] {
            return Err(ErrorCode::ModelCorrupt);
        }
        let (cout, cin_g, kh, kw) = (d[0], d[1], d[2], d[3]);
        let k = match kind {
            Kind::Pointwise => 1,
            _ => 3,
        };
        if kh != k || kw != k {
            return Err(ErrorCode::ModelCorrupt);
        }
        match kind {
            Kind::Depthwise3 { .. } => {
                if cin_g != 1 || cout % 4 != 0 {
                    return Err(ErrorCode::ModelCorrupt);
                }
                // Tap-major [9][C] so the inner loop runs over contiguous channels.
                let mut w = vec![0.0; 9 * cout];
                for c in 0..cout {
                    for t in 0..9 {
                        w[t * cout + c] = weight.data[c * 9 + t];
                    }
                }
                Ok(Self { kind, cin: cout, cout, nb: cout, w, bias: bias.data.clone(), wino: None, wq: None, fast: path != Path::Reference })
            }
            Kind::Pointwise | Kind::Full3 { .. } => {
                let nb = cout.div_ceil(NR) * NR;
                let taps = k * k;
                // Row index (tap * cin + ci), matching the im2col layout.
                let mut w = vec![0.0; taps * cin_g * nb];
                for co in 0..cout {
                    for ci in 0..cin_g {
                        for t in 0..taps {
                            w[(t * cin_g + ci) * nb + co] = weight.data[(co * cin_g + ci) * taps + t];
                        }
                    }
                }
                let wq = (kind == Kind::Pointwise && path == Path::Fast).then(|| QuantB::new(&w, cin_g, nb));
                // With integer weights the f32 ones are never read: not kept.
                let w = if wq.is_some() { Vec::new() } else { pack_b(&w, taps * cin_g, nb) };
                let mut b = bias.data.clone();
                b.resize(nb, 0.0);
                let wino = (kind == Kind::Full3 { stride: 1 } && path != Path::Reference && cin_g % 4 == 0 && cout % 4 == 0).then(|| {
                    let mut u = vec![0.0; WINO_POS * cin_g * nb];
                    for co in 0..cout {
                        for ci in 0..cin_g {
                            let k = wino_kernel(&weight.data[(co * cin_g + ci) * 9..(co * cin_g + ci + 1) * 9]);
                            for (i, &v) in k.iter().enumerate() {
                                u[(i * cin_g + ci) * nb + co] = v;
                            }
                        }
                    }
                    u.chunks_exact(cin_g * nb).flat_map(|m| pack_b(m, cin_g, nb)).collect()
                });
                Ok(Self { kind, cin: cin_g, cout, nb, w, bias: b, wino, wq, fast: path != Path::Reference })
            }
        }
    }

    fn out_dims(&self, x: &Feature) -> (usize, usize) {
        match self.kind {
            Kind::Full3 { stride } | Kind::Depthwise3 { stride } => (out_size(x.h, stride), out_size(x.w, stride)),
            Kind::Pointwise => (x.h, x.w),
        }
    }

    fn run(&self, x: &Feature, act: Act, s: &mut Scratch) -> Feature {
        let (oh, ow) = self.out_dims(x);
        let mut y = s.feature(oh, ow, self.cout);
        self.run_into(x, act, &mut y, 0, s);
        y
    }

    /// Writes the output channels at `offset` of `y` (for concatenation without a copy).
    fn run_into(&self, x: &Feature, act: Act, y: &mut Feature, offset: usize, s: &mut Scratch) {
        debug_assert_eq!(x.c, self.cin);
        let (oh, ow) = self.out_dims(x);
        debug_assert!(y.h == oh && y.w == ow && offset + self.cout <= y.c);
        let stride_c = y.c;
        match self.kind {
            Kind::Pointwise => {
                let mut out = Out { data: &mut y.data, stride: stride_c, offset };
                match &self.wq {
                    Some(wq) => gemm_q(&x.data, x.h * x.w, self.cin, wq, self.cout, &self.bias, &mut out, act, &mut s.quant),
                    None => gemm(&x.data, x.h * x.w, self.cin, &self.w, self.nb, self.cout, &self.bias, &mut out, act),
                }
            }
            Kind::Full3 { .. } if self.wino.is_some() => self.winograd(x, &mut [Dst { y, offset, act, channels: self.cout }], s),
            Kind::Full3 { stride } if self.fast && self.cin == 3 && self.nb == 8 => self.stem(x, stride, act, y, offset),
            Kind::Full3 { stride } => self.full3(x, stride, act, y, offset),
            Kind::Depthwise3 { stride } => self.depthwise(x, stride, act, y, offset),
        }
    }

    fn full3(&self, x: &Feature, stride: usize, act: Act, y: &mut Feature, offset: usize) {
        const CHUNK: usize = 64;
        let (oh, ow) = (y.h, y.w);
        let cin = self.cin;
        let k = 9 * cin;
        let total = oh * ow;
        let mut col = vec![0f32; CHUNK * k];
        let mut p0 = 0;
        while p0 < total {
            let n = (total - p0).min(CHUNK);
            for (r, p) in (p0..p0 + n).enumerate() {
                let (oy, ox) = (p / ow, p % ow);
                let row = &mut col[r * k..(r + 1) * k];
                for ky in 0..3 {
                    let iy = (oy * stride + ky) as isize - 1;
                    for kx in 0..3 {
                        let ix = (ox * stride + kx) as isize - 1;
                        let dst = &mut row[(ky * 3 + kx) * cin..(ky * 3 + kx + 1) * cin];
                        if iy < 0 || ix < 0 || iy as usize >= x.h || ix as usize >= x.w {
                            dst.fill(0.0);
                        } else {
                            let s = (iy as usize * x.w + ix as usize) * cin;
                            dst.copy_from_slice(&x.data[s..s + cin]);
                        }
                    }
                }
            }
            let stride_c = y.c;
            let mut out = Out { data: &mut y.data[p0 * stride_c..], stride: stride_c, offset };
            gemm(&col, n, k, &self.w, self.nb, self.cout, &self.bias, &mut out, act);
            p0 += n;
        }
    }

    /// Stride-1 3x3 convolution by Winograd F(4x4, 3x3): per batch of 4x4 output tiles,
    /// transform 6x6 input patches (V = B^T d B), multiply each of the 36 positions by its
    /// U matrix with the GEMM, and transform back (Y = A^T M A) with bias and activation.
    /// The output channels go, in order, to the destinations `dst` (several when convolutions
    /// reading the same input are stacked into one: see [`Pair`]).
    fn winograd(&self, x: &Feature, dst: &mut [Dst<'_>], s: &mut Scratch) {
        let u = self.wino.as_deref().expect("winograd weights");
        let (cin, cout, nb) = (self.cin, self.cout, self.nb);
        debug_assert_eq!(x.c, cin);
        debug_assert_eq!(dst.iter().map(|d| d.channels).sum::<usize>(), cout);
        let (oh, ow) = (dst[0].y.h, dst[0].y.w);
        debug_assert!(dst.iter().all(|d| d.y.h == oh && d.y.w == ow && d.channels % 4 == 0 && d.offset + d.channels <= d.y.c));
        // For each group of 4 output channels: its destination and channel there.
        let routes: Vec<(usize, usize)> = dst.iter().enumerate().flat_map(|(i, d)| (0..d.channels).step_by(4).map(move |c| (i, d.offset + c))).collect();
        let (th, tw) = (oh.div_ceil(WINO_OUT), ow.div_ceil(WINO_OUT));
        let total = th * tw;
        // Each batch writes the rows of `v` and `m` that it then reads.
        let (v, m) = (&mut s.wino_v, &mut s.wino_m);
        resize_for_overwrite(v, WINO_POS * WINO_TILES * cin, POISON);
        resize_for_overwrite(m, WINO_POS * WINO_TILES * cout, POISON);
        let zero_bias = vec![0f32; nb];
        let zero = v4::zero();
        let mut t0 = 0;
        while t0 < total {
            let n = (total - t0).min(WINO_TILES);
            for t in 0..n {
                let (ty, tx) = ((t0 + t) / tw, (t0 + t) % tw);
                // Input offsets of the 6x6 patch; None outside the image (zero padding).
                let at: [Option<usize>; WINO_POS] = core::array::from_fn(|p| {
                    let iy = (WINO_OUT * ty + p / WINO_IN).wrapping_sub(1);
                    let ix = (WINO_OUT * tx + p % WINO_IN).wrapping_sub(1);
                    (iy < x.h && ix < x.w).then(|| (iy * x.w + ix) * cin)
                });
                for c0 in (0..cin).step_by(4) {
                    // B^T d down each column, then (B^T d) B along each row.
                    let mut r = [zero; WINO_POS];
                    for col in 0..WINO_IN {
                        let d: [v4::V; 6] = core::array::from_fn(|row| match at[row * WINO_IN + col] {
                            Some(o) => v4::load(&x.data[o + c0..o + c0 + 4]),
                            None => zero,
                        });
                        for (row, val) in wino_in(d).into_iter().enumerate() {
                            r[row * WINO_IN + col] = val;
                        }
                    }
                    for row in 0..WINO_IN {
                        let line: [v4::V; 6] = core::array::from_fn(|col| r[row * WINO_IN + col]);
                        for (col, val) in wino_in(line).into_iter().enumerate() {
                            let o = ((row * WINO_IN + col) * WINO_TILES + t) * cin + c0;
                            v4::store(val, (&mut v[o..o + 4]).try_into().unwrap());
                        }
                    }
                }
            }
            for i in 0..WINO_POS {
                let a = &v[i * WINO_TILES * cin..(i * WINO_TILES + n) * cin];
                let b = &u[i * cin * nb..(i + 1) * cin * nb];
                let mut out = Out { data: &mut m[i * WINO_TILES * cout..(i + 1) * WINO_TILES * cout], stride: cout, offset: 0 };
                gemm(a, n, cin, b, nb, cout, &zero_bias, &mut out, Act::None);
            }
            for t in 0..n {
                let (ty, tx) = ((t0 + t) / tw, (t0 + t) % tw);
                for (c0, &(di, dc)) in (0..cout).step_by(4).zip(&routes) {
                    let Dst { y, act, .. } = &mut dst[di];
                    // A^T M down each column, then along each of the 4 resulting rows.
                    let mut r = [[zero; WINO_IN]; WINO_OUT];
                    for col in 0..WINO_IN {
                        let mv: [v4::V; 6] = core::array::from_fn(|row| {
                            let o = ((row * WINO_IN + col) * WINO_TILES + t) * cout + c0;
                            v4::load(&m[o..o + 4])
                        });
                        for (row, val) in wino_out(mv).into_iter().enumerate() {
                            r[row][col] = val;
                        }
                    }
                    let bias = v4::load(&self.bias[c0..c0 + 4]);
                    for (dy, line) in r.into_iter().enumerate() {
                        let oy = WINO_OUT * ty + dy;
                        if oy >= oh {
                            break;
                        }
                        for (dx, val) in wino_out(line).into_iter().enumerate() {
                            let ox = WINO_OUT * tx + dx;
                            if ox >= ow {
                                break;
                            }
                            let d = (oy * ow + ox) * y.c + dc;
                            v4::store(v4::act(*act, v4::add(val, bias)), (&mut y.data[d..d + 4]).try_into().unwrap());
                        }
                    }
                }
            }
            t0 += n;
        }
    }

    /// The stem's 3x3 convolution, 3 -> 8 channels, computed directly: the im2col copies of
    /// 3-float slices cost more than the arithmetic. Inside the image, 4 neighbouring output
    /// pixels share each weight load, as in the GEMM kernel.
    fn stem(&self, x: &Feature, stride: usize, act: Act, y: &mut Feature, offset: usize) {
        const CIN: usize = 3;
        const GROUP: usize = 4;
        let (oh, ow) = (y.h, y.w);
        let (rows, cols) = (inside_span(oh, x.h, stride), inside_span(ow, x.w, stride));
        // Whole groups of GROUP inside columns; the rest go pixel by pixel.
        let grouped = cols.start..cols.start + cols.len() / GROUP * GROUP;
        let bias = [v4::load(&self.bias[..4]), v4::load(&self.bias[4..8])];
        let store = |y: &mut Feature, oy: usize, ox: usize, acc: [v4::V; 2]| {
            Out { data: &mut y.data, stride: y.c, offset }.store(oy * ow + ox, 0, self.cout, acc.map(|v| v4::act(act, v)));
        };
        for oy in 0..oh {
            let groups = if rows.contains(&oy) { grouped.clone() } else { 0..0 };
            for ox in groups.clone().step_by(GROUP) {
                let mut acc = [bias; GROUP];
                for ky in 0..3 {
                    let iy = oy * stride + ky - 1;
                    let row = &x.data[iy * x.w * CIN..(iy + 1) * x.w * CIN];
                    for kx in 0..3 {
                        for ci in 0..CIN {
                            let r = ((ky * 3 + kx) * CIN + ci) * 8;
                            let w = [v4::load(&self.w[r..r + 4]), v4::load(&self.w[r + 4..r + 8])];
                            for (p, acc) in acc.iter_mut().enumerate() {
                                let a = v4::splat(row[((ox + p) * stride + kx - 1) * CIN + ci]);
                                acc[0] = v4::madd(acc[0], a, w[0]);
                                acc[1] = v4::madd(acc[1], a, w[1]);
                            }
                        }
                    }
                }
                for (p, acc) in acc.into_iter().enumerate() {
                    store(y, oy, ox + p, acc);
                }
            }
            for ox in (0..groups.start).chain(groups.end..ow) {
                let mut acc = bias;
                for ky in 0..3 {
                    let iy = (oy * stride + ky).wrapping_sub(1);
                    if iy >= x.h {
                        continue;
                    }
                    for kx in 0..3 {
                        let ix = (ox * stride + kx).wrapping_sub(1);
                        if ix >= x.w {
                            continue;
                        }
                        let src = &x.data[(iy * x.w + ix) * CIN..(iy * x.w + ix + 1) * CIN];
                        for (ci, &v) in src.iter().enumerate() {
                            let r = ((ky * 3 + kx) * CIN + ci) * 8;
                            let a = v4::splat(v);
                            acc[0] = v4::madd(acc[0], a, v4::load(&self.w[r..r + 4]));
                            acc[1] = v4::madd(acc[1], a, v4::load(&self.w[r + 4..r + 8]));
                        }
                    }
                }
                store(y, oy, ox, acc);
            }
        }
    }

    fn depthwise(&self, x: &Feature, stride: usize, act: Act, y: &mut Feature, offset: usize) {
        // Every channel count is a multiple of 4; checked at load.
        let c = self.cout;
        let (oh, ow) = (y.h, y.w);
        // The reference path takes every pixel the border way.
        let rows = inside_span(oh, x.h, stride);
        let inside_cols = if self.fast { inside_span(ow, x.w, stride) } else { 0..0 };
        // Tap offsets relative to the window's top-left input pixel.
        let inner: [usize; 9] = core::array::from_fn(|t| ((t / 3) * x.w + t % 3) * c);
        let mut taps = [(0usize, 0usize); 9];
        for oy in 0..oh {
            let (cols, edge_cols) = if rows.contains(&oy) { (inside_cols.clone(), [0..inside_cols.start, inside_cols.end..ow]) } else { (0..0, [0..ow, 0..0]) };
            // Inside the image: one group of 4 channels at a time along the row, so its 9
            // weight vectors are loaded once per row rather than once per pixel.
            for c0 in (0..c).step_by(4) {
                let w: [v4::V; 9] = core::array::from_fn(|t| v4::load(&self.w[t * c + c0..t * c + c0 + 4]));
                let bias = v4::load(&self.bias[c0..c0 + 4]);
                for ox in cols.clone() {
                    let base = ((oy * stride - 1) * x.w + ox * stride - 1) * c + c0;
                    let window = &x.data[base..base + (2 * x.w + 2) * c + 4];
                    let mut acc = bias;
                    for (&s, &wv) in inner.iter().zip(&w) {
                        acc = v4::madd(acc, v4::load(&window[s..s + 4]), wv);
                    }
                    let d = (oy * ow + ox) * y.c + offset + c0;
                    v4::store(v4::act(act, acc), (&mut y.data[d..d + 4]).try_into().unwrap());
                }
            }
            for ox in edge_cols.into_iter().flatten() {
                // (input offset, weight offset) of the taps inside the image.
                let mut n = 0;
                for ky in 0..3 {
                    let iy = (oy * stride + ky).wrapping_sub(1);
                    if iy >= x.h {
                        continue;
                    }
                    for kx in 0..3 {
                        let ix = (ox * stride + kx).wrapping_sub(1);
                        if ix < x.w {
                            taps[n] = ((iy * x.w + ix) * c, (ky * 3 + kx) * c);
                            n += 1;
                        }
                    }
                }
                let d = (oy * ow + ox) * y.c + offset;
                for c0 in (0..c).step_by(4) {
                    let mut acc = v4::load(&self.bias[c0..c0 + 4]);
                    for &(s, w) in &taps[..n] {
                        acc = v4::madd(acc, v4::load(&x.data[s + c0..s + c0 + 4]), v4::load(&self.w[w + c0..w + c0 + 4]));
                    }
                    v4::store(v4::act(act, acc), (&mut y.data[d + c0..d + c0 + 4]).try_into().unwrap());
                }
            }
        }
    }
}

/// Where a convolution writes: `channels` channels of `y` from channel `offset`, through `act`.
struct Dst<'a> {
    y: &'a mut Feature,
    offset: usize,
    act: Act,
    channels: usize,
}

/// Two stride-1 3x3 convolutions of the same input. The fast path stacks them into one (its
/// first `.1` output channels are the first convolution's), so the Winograd input transform
/// runs once for both; the reference path runs them apart.
enum Pair {
    Stacked(Conv, usize),
    Apart(Conv, Conv),
}

impl Pair {
    fn load(a: (&Tensor, &Tensor), b: (&Tensor, &Tensor), path: Path) -> Result<Self, ErrorCode> {
        let kind = Kind::Full3 { stride: 1 };
        if path == Path::Reference {
            return Ok(Self::Apart(Conv::load(a.0, a.1, kind, path)?, Conv::load(b.0, b.1, kind, path)?));
        }
        let (wa, wb) = (&a.0.dims, &b.0.dims);
        // Stacked along the output channels: both [out][in][3][3] with the same `in`.
        if wa.len() != 4 || wb.len() != 4 || wa[1..] != wb[1..] || a.1.dims != [wa[0]] || b.1.dims != [wb[0]] {
            return Err(ErrorCode::ModelCorrupt);
        }
        let stack = |x: &Tensor, y: &Tensor, dims: Vec<usize>| Tensor { name: x.name.clone(), dims, data: x.data.iter().chain(&y.data).copied().collect() };
        let weight = stack(a.0, b.0, [vec![wa[0] + wb[0]], wa[1..].to_vec()].concat());
        let bias = stack(a.1, b.1, vec![wa[0] + wb[0]]);
        let conv = Conv::load(&weight, &bias, kind, path)?;
        // The output transform routes whole 4-channel groups: otherwise (never with this
        // model) the two run apart.
        if conv.wino.is_none() || wa[0] % 4 != 0 || wb[0] % 4 != 0 {
            return Ok(Self::Apart(Conv::load(a.0, a.1, kind, path)?, Conv::load(b.0, b.1, kind, path)?));
        }
        Ok(Self::Stacked(conv, wa[0]))
    }

    /// Runs both on `x`: the first into `a`, the second into `b`.
    fn run(&self, x: &Feature, a: Dst<'_>, b: Dst<'_>, s: &mut Scratch) {
        match self {
            Self::Stacked(conv, first) => {
                debug_assert_eq!(a.channels, *first);
                conv.winograd(x, &mut [a, b], s);
            }
            Self::Apart(ca, cb) => {
                ca.run_into(x, a.act, a.y, a.offset, s);
                cb.run_into(x, b.act, b.y, b.offset, s);
            }
        }
    }
}

/// The SSH context module: conv3 (3x3) beside conv5 (two 3x3) and conv7 (three 3x3, sharing
/// conv5's first), concatenated to 32 + 16 + 16 channels.
struct Ssh {
    /// conv3 and conv5's first layer, both reading the level's map.
    c3_c5_1: Pair,
    /// conv5's second layer and conv7's second, both reading conv5's first.
    c5_2_c7_2: Pair,
    c7_3: Conv,
}

impl Ssh {
    fn run(&self, x: &Feature, s: &mut Scratch) -> Feature {
        let mut y = s.feature(x.h, x.w, 64);
        let (mut b, mut c) = (s.feature(x.h, x.w, 16), s.feature(x.h, x.w, 16));
        // The module's ReLU after concatenation, applied by each branch as it stores; the
        // three branches write all 64 channels.
        self.c3_c5_1.run(x, Dst { y: &mut y, offset: 0, act: Act::Relu, channels: 32 }, Dst { y: &mut b, offset: 0, act: Act::Leaky, channels: 16 }, s);
        self.c5_2_c7_2.run(&b, Dst { y: &mut y, offset: 32, act: Act::Relu, channels: 16 }, Dst { y: &mut c, offset: 0, act: Act::Leaky, channels: 16 }, s);
        self.c7_3.run_into(&c, Act::Relu, &mut y, 48, s);
        s.recycle(b);
        s.recycle(c);
        y
    }
}

/// Raw head outputs of one pyramid level: per cell, 2 anchors x (2 class logits),
/// then 2 x 4 box deltas, then 2 x 10 landmark deltas.
pub struct LevelOutput {
    /// Anchor stride in input pixels (8, 16, 32).
    pub stride: usize,
    /// Cells down.
    pub h: usize,
    /// Cells across.
    pub w: usize,
    /// h * w * 32 values.
    pub data: Vec<f32>,
}

/// Values per cell in [`LevelOutput::data`].
pub const HEAD_WIDTH: usize = 32;

/// The loaded network.
pub struct RetinaFace {
    stem: Conv,
    blocks: Vec<(Conv, Conv)>,
    lateral: [Conv; 3],
    merge2: Conv,
    merge1: Conv,
    ssh: [Ssh; 3],
    heads: [Conv; 3],
}

/// Output channels and stride of the 13 depthwise-separable blocks.
const BLOCKS: [(usize, usize); 13] =
    [(16, 1), (32, 2), (32, 1), (64, 2), (64, 1), (128, 2), (128, 1), (128, 1), (128, 1), (128, 1), (128, 1), (256, 2), (256, 1)];

impl RetinaFace {
    /// Builds the network from parsed tensors, checking every name and shape.
    pub fn from_tensors(tensors: &[Tensor], path: Path) -> Result<Self, ErrorCode> {
        let mut it = tensors.iter();
        let mut next_pair = |prefix: &str| -> Result<(&Tensor, &Tensor), ErrorCode> {
            let w = it.next().ok_or(ErrorCode::ModelCorrupt)?;
            let b = it.next().ok_or(ErrorCode::ModelCorrupt)?;
            if !(w.name.starts_with(prefix) && w.name.ends_with(".weight") && b.name.starts_with(prefix) && b.name.ends_with(".bias")) {
                return Err(ErrorCode::ModelCorrupt);
            }
            Ok((w, b))
        };
        let mut next = |prefix: &str, kind: Kind| next_pair(prefix).and_then(|(w, b)| Conv::load(w, b, kind, path));
        let stem = next("fx/stage1/stage1.0/", Kind::Full3 { stride: 2 })?;
        let mut blocks = Vec::new();
        let mut cin = stem.cout;
        for (i, &(cout, stride)) in BLOCKS.iter().enumerate() {
            let prefix = match i {
                0..=4 => format!("fx/stage1/stage1.{}/", i + 1),
                5..=10 => format!("fx/stage2/stage2.{}/", i - 5),
                _ => format!("fx/stage3/stage3.{}/", i - 11),
            };
            let dw = next(&prefix, Kind::Depthwise3 { stride })?;
            let pw = next(&prefix, Kind::Pointwise)?;
            if dw.cout != cin || pw.cin != cin || pw.cout != cout {
                return Err(ErrorCode::ModelCorrupt);
            }
            cin = cout;
            blocks.push((dw, pw));
        }
        let lateral = [next("fpn/output1", Kind::Pointwise)?, next("fpn/output2", Kind::Pointwise)?, next("fpn/output3", Kind::Pointwise)?];
        let merge2 = next("fpn/merge2", Kind::Full3 { stride: 1 })?;
        let merge1 = next("fpn/merge1", Kind::Full3 { stride: 1 })?;
        drop(next); // releases the borrow of `next_pair`
        let mut ssh_load = |i: usize| -> Result<Ssh, ErrorCode> {
            let p = format!("ssh{i}/");
            let [c3, c5_1, c5_2, c7_2, c7_3] = [(); 5].map(|_| next_pair(&p));
            Ok(Ssh {
                c3_c5_1: Pair::load(c3?, c5_1?, path)?,
                c5_2_c7_2: Pair::load(c5_2?, c7_2?, path)?,
                c7_3: c7_3.and_then(|(w, b)| Conv::load(w, b, Kind::Full3 { stride: 1 }, path))?,
            })
        };
        let ssh = [ssh_load(1)?, ssh_load(2)?, ssh_load(3)?];
        drop(ssh_load);
        // The three heads read the same input: stacked into one convolution of 4 + 8 + 20
        // outputs (weights are [out][in], so stacking appends).
        let mut parts = Vec::new();
        for head in ["class_head/class_head", "bbox_head/bbox_head", "landmark_head/landmark_head"] {
            for i in 0..3 {
                parts.push(next_pair(&format!("{head}.{i}"))?);
            }
        }
        drop(next_pair); // releases the borrow of `it` for the end-of-file check
        if it.next().is_some() {
            return Err(ErrorCode::ModelCorrupt);
        }
        let mut heads = Vec::new();
        for i in 0..3 {
            let [(cw, cb), (bw, bb), (lw, lb)] = [parts[i], parts[3 + i], parts[6 + i]];
            let shapes = [(cw, cb, 4), (bw, bb, 8), (lw, lb, 20)];
            if shapes.iter().any(|(w, b, cout)| w.dims != [*cout, 64, 1, 1] || b.dims != [*cout]) {
                return Err(ErrorCode::ModelCorrupt);
            }
            let stack = |t: [&Tensor; 3], dims: Vec<usize>| Tensor { name: t[0].name.clone(), dims, data: t.iter().flat_map(|t| t.data.iter().copied()).collect() };
            heads.push(Conv::load(&stack([cw, bw, lw], vec![32, 64, 1, 1]), &stack([cb, bb, lb], vec![32]), Kind::Pointwise, path)?);
        }
        let heads: [Conv; 3] = heads.try_into().map_err(|_| ErrorCode::ModelCorrupt)?;
        Ok(Self { stem, blocks, lateral, merge2, merge1, ssh, heads })
    }

    /// Runs the network on a preprocessed BGR-minus-mean input (channels-last, 3 channels),
    /// its intermediate maps in `s`.
    pub fn forward(&self, input: &Feature, s: &mut Scratch) -> [LevelOutput; 3] {
        debug_assert_eq!(input.c, 3);
        // One layer: its input goes back to `s` for a later layer's output.
        let step = |x: Feature, conv: &Conv, s: &mut Scratch| {
            let y = conv.run(&x, Act::Leaky, s);
            s.recycle(x);
            y
        };
        // Backbone stages end after blocks 4 and 10; each stage output feeds the FPN.
        let stage = |x: &Feature, blocks: &[(Conv, Conv)], s: &mut Scratch| -> Feature {
            let mut x = blocks[0].0.run(x, Act::Leaky, s);
            x = step(x, &blocks[0].1, s);
            for (dw, pw) in &blocks[1..] {
                x = step(step(x, dw, s), pw, s);
            }
            x
        };
        let stem = self.stem.run(input, Act::Leaky, s);
        let c1 = stage(&stem, &self.blocks[..5], s);
        s.recycle(stem);
        let c2 = stage(&c1, &self.blocks[5..11], s);
        let c3 = stage(&c2, &self.blocks[11..], s);
        let mut o1 = step(c1, &self.lateral[0], s);
        let mut o2 = step(c2, &self.lateral[1], s);
        let o3 = step(c3, &self.lateral[2], s);
        add_upsampled(&mut o2, &o3);
        let o2 = step(o2, &self.merge2, s);
        add_upsampled(&mut o1, &o2);
        let o1 = step(o1, &self.merge1, s);
        let mut outs = Vec::with_capacity(3);
        for (i, f) in [o1, o2, o3].into_iter().enumerate() {
            let context = self.ssh[i].run(&f, s);
            s.recycle(f);
            let h = self.heads[i].run(&context, Act::None, s);
            s.recycle(context);
            outs.push(LevelOutput { stride: 8 << i, h: h.h, w: h.w, data: h.data });
        }
        let mut it = outs.into_iter();
        [it.next().unwrap(), it.next().unwrap(), it.next().unwrap()]
    }
}

/// `dst += nearest_upsample(src)` to dst's size (ONNX Resize, asymmetric, floor).
fn add_upsampled(dst: &mut Feature, src: &Feature) {
    let c = dst.c;
    for y in 0..dst.h {
        let sy = y * src.h / dst.h;
        for x in 0..dst.w {
            let sx = x * src.w / dst.w;
            let d = (y * dst.w + x) * c;
            let s = (sy * src.w + sx) * c;
            for (a, b) in dst.data[d..d + c].iter_mut().zip(&src.data[s..s + c]) {
                *a += b;
            }
        }
    }
}
