// nnkit CUDA kernels, compiled at run time by NVRTC (see nvrtc.go), twice:
// with -Dreal=float and with -Dreal=double, giving one module per element
// type with the same extern "C" names. No headers are included (NVRTC has
// none by default); only CUDA built-ins are used.
//
// Conventions: 1-D grids with grid-stride loops (FOR); element counts are
// int (the Go side checks they fit); per-channel and whole-tensor sums are
// accumulated in double, as the CPU engine does; every kernel mirrors the
// CPU kernel of nnkit/tensor named in its comment, including tie and NaN
// rules, so results agree to float rounding.

#ifndef real
#define real float
#endif

#define FOR(i, n) for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += blockDim.x * gridDim.x)

// ---------------------------------------------------------------- helpers

__device__ __forceinline__ double warp_sum(double v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
    return v;
}

// block_sum returns the sum of v over the block to every thread. blockDim.x
// must be a multiple of 32 and at most 1024.
__device__ double block_sum(double v) {
    __shared__ double part[32];
    __shared__ double total;
    int lane = threadIdx.x & 31, wid = threadIdx.x >> 5;
    v = warp_sum(v);
    if (lane == 0) part[wid] = v;
    __syncthreads();
    if (wid == 0) {
        int nw = blockDim.x >> 5;
        double s = (lane < nw) ? part[lane] : 0.0;
        s = warp_sum(s);
        if (lane == 0) total = s;
    }
    __syncthreads();
    double r = total;
    __syncthreads(); // part and total may be reused by a later call
    return r;
}

// Binary operation codes (BinOp in Go).
__device__ __forceinline__ real binop(int op, real a, real b) {
    switch (op) {
    case 0: return a + b;
    case 1: return a - b;
    case 2: return a * b;
    default: return a / b;
    }
}

// ---------------------------------------------------------------- elementwise
// tensor/elementwise.go, broadcast.go

extern "C" __global__ void ew_binary(int op, int n, const real* a, const real* b, real* y) {
    FOR(i, n) y[i] = binop(op, a[i], b[i]);
}

// ew_binary_bcast: operand index (i / inner) % mid, or i when mid == 0.
// Covers bias over channels ([N,C,H,W] with [C]: inner=H*W, mid=C), row
// bias ([N,F] with [F]: inner=1, mid=F) and scalars (inner=1, mid=1).
extern "C" __global__ void ew_binary_bcast(int op, int n, const real* a, int ainner, int amid,
                                          const real* b, int binner, int bmid, real* y) {
    FOR(i, n) {
        int ia = amid ? (i / ainner) % amid : i;
        int ib = bmid ? (i / binner) % bmid : i;
        y[i] = binop(op, a[ia], b[ib]);
    }
}

// General broadcast over up to 6 dimensions: strides 0 on broadcast axes
// (tensor/broadcast.go binaryBroadcast).
struct Bcast {
    int ndim;
    int shape[6];
    int sa[6];
    int sb[6];
};

extern "C" __global__ void ew_binary_nd(int op, int n, const real* a, const real* b, real* y, Bcast g) {
    FOR(i, n) {
        int r = i, ia = 0, ib = 0;
        for (int d = g.ndim - 1; d >= 0; --d) {
            int c = r % g.shape[d];
            r /= g.shape[d];
            ia += c * g.sa[d];
            ib += c * g.sb[d];
        }
        y[i] = binop(op, a[ia], b[ib]);
    }
}

// Scalar operation codes (ScalarOp in Go): y = x op c.
extern "C" __global__ void ew_scalar(int op, int n, const real* x, real c, real* y) {
    FOR(i, n) {
        real v = x ? x[i] : (real)0;
        real r;
        switch (op) {
        case 0: r = v + c; break;                      // add
        case 1: r = v * c; break;                      // mul
        case 2: r = c - v; break;                      // rsub
        case 3: r = c / v; break;                      // rdiv
        case 4: r = pow(v, c); break;                  // pow
        case 5: r = v > c ? v : c; break;              // max
        default: r = c; break;                         // fill
        }
        y[i] = r;
    }
}

// d/dx of x^c.
extern "C" __global__ void ew_pow_bwd(int n, const real* g, const real* x, real c, real* gx) {
    FOR(i, n) gx[i] = g[i] * c * pow(x[i], c - (real)1);
}

__device__ __forceinline__ real sigmoid_(real x) {
    // Stable for large |x| (tensor/activation.go sigmoid).
    if (x >= (real)0) return (real)1 / ((real)1 + exp(-x));
    real e = exp(x);
    return e / ((real)1 + e);
}

// Unary operation codes (UnaryOp in Go).
extern "C" __global__ void ew_unary(int op, int n, const real* x, real* y) {
    FOR(i, n) {
        real v = x[i], r;
        switch (op) {
        case 0: r = v > (real)0 ? v : (real)0; break; // relu
        case 1: r = sigmoid_(v); break;                // sigmoid
        case 2: r = tanh(v); break;                    // tanh
        case 3: r = exp(v); break;                     // exp
        case 4: r = log(v); break;                     // log
        case 5: r = sqrt(v); break;                    // sqrt
        case 6: r = -v; break;                         // neg
        case 7: r = fabs(v); break;                    // abs
        default: r = v; break;                         // copy
        }
        y[i] = r;
    }
}

// Gradient of ew_unary from the upstream g, the input x and the output y.
extern "C" __global__ void ew_unary_bwd(int op, int n, const real* g, const real* x, const real* y, real* gx) {
    FOR(i, n) {
        real gv = g[i], r;
        switch (op) {
        case 0: r = y[i] > (real)0 ? gv : (real)0; break;        // relu: passes where the output is positive
        case 1: r = gv * y[i] * ((real)1 - y[i]); break;          // sigmoid
        case 2: r = gv * ((real)1 - y[i] * y[i]); break;          // tanh
        case 3: r = gv * y[i]; break;                             // exp
        case 4: r = gv / x[i]; break;                             // log
        case 5: r = gv / ((real)2 * y[i]); break;                 // sqrt
        case 6: r = -gv; break;                                   // neg
        case 7: r = x[i] > (real)0 ? gv : (x[i] < (real)0 ? -gv : (real)0); break; // abs
        default: r = gv; break;                                   // copy
        }
        gx[i] = r;
    }
}

// y += a*x (gradient accumulation, tensor/autograd.go axpy).
extern "C" __global__ void axpy(int n, real a, const real* x, real* y) {
    FOR(i, n) y[i] += a * x[i];
}

// Element type conversion through double: to_double writes this module's
// real into a double buffer, from_double the reverse.
extern "C" __global__ void to_double(int n, const real* x, double* y) {
    FOR(i, n) y[i] = (double)x[i];
}

extern "C" __global__ void from_double(int n, const double* x, real* y) {
    FOR(i, n) y[i] = (real)x[i];
}

// Permute (tensor/shape.go gather): y in row-major order of the output
// shape; in[d] is the input stride of output axis d.
struct Perm {
    int ndim;
    int shape[6];
    int in[6];
};

extern "C" __global__ void permute_nd(int n, const real* x, real* y, Perm g) {
    FOR(i, n) {
        int r = i, ix = 0;
        for (int d = g.ndim - 1; d >= 0; --d) {
            int c = r % g.shape[d];
            r /= g.shape[d];
            ix += c * g.in[d];
        }
        y[i] = x[ix];
    }
}

// ---------------------------------------------------------------- reductions
// tensor/reduce.go

// First pass of a whole-tensor sum: block b writes its partial sum.
extern "C" __global__ void reduce_sum_partial(int n, const real* x, double* partial) {
    double s = 0;
    FOR(i, n) s += (double)x[i];
    s = block_sum(s);
    if (threadIdx.x == 0) partial[blockIdx.x] = s;
}

// Second pass (one block): out[0] = scale * sum of the partials.
extern "C" __global__ void reduce_sum_final(int parts, const double* partial, double scale, real* out) {
    double s = 0;
    for (int i = threadIdx.x; i < parts; i += blockDim.x) s += partial[i];
    s = block_sum(s);
    if (threadIdx.x == 0) out[0] = (real)(s * scale);
}

// [outer, mid, inner] -> [mid], summing outer and inner: bias gradients
// (conv: outer=N, mid=OC, inner=OH*OW; linear: outer=N, mid=F, inner=1).
// One block per mid index; y = sum (accumulate=0) or y += sum.
extern "C" __global__ void sum_outer_inner(int outer, int mid, int inner, const real* x, real* y, int accumulate) {
    int m = blockIdx.x;
    if (m >= mid) return;
    int total = outer * inner;
    double s = 0;
    for (int i = threadIdx.x; i < total; i += blockDim.x) {
        int o = i / inner, in = i - o * inner;
        s += (double)x[((long long)o * mid + m) * inner + in];
    }
    s = block_sum(s);
    if (threadIdx.x == 0) y[m] = accumulate ? (real)((double)y[m] + s) : (real)s;
}

// [outer, n, inner] -> [outer, inner] summed over n, times scale
// (SumAxis, MeanAxis).
extern "C" __global__ void sum_axis(int outer, int n, int inner, const real* x, real* y, double scale) {
    FOR(i, outer * inner) {
        int o = i / inner, in = i - o * inner;
        double s = 0;
        for (int j = 0; j < n; ++j) s += (double)x[((long long)o * n + j) * inner + in];
        y[i] = (real)(s * scale);
    }
}

// ---------------------------------------------------------------- softmax
// tensor/activation.go softmaxForward / softmaxBackward

extern "C" __global__ void softmax_fwd(int outer, int n, int inner, const real* x, real* y, int logOut) {
    FOR(i, outer * inner) {
        int o = i / inner, in = i - o * inner;
        const real* xp = x + (long long)o * n * inner + in;
        real* yp = y + (long long)o * n * inner + in;
        real mx = xp[0];
        for (int j = 1; j < n; ++j) mx = xp[j * inner] > mx ? xp[j * inner] : mx;
        double s = 0;
        for (int j = 0; j < n; ++j) s += exp((double)(xp[j * inner] - mx));
        if (logOut) {
            double ls = log(s);
            for (int j = 0; j < n; ++j) yp[j * inner] = (real)((double)(xp[j * inner] - mx) - ls);
        } else {
            for (int j = 0; j < n; ++j) yp[j * inner] = (real)(exp((double)(xp[j * inner] - mx)) / s);
        }
    }
}

extern "C" __global__ void softmax_bwd(int outer, int n, int inner, const real* g, const real* y, real* gx, int logOut) {
    FOR(i, outer * inner) {
        int o = i / inner, in = i - o * inner;
        long long base = (long long)o * n * inner + in;
        double s = 0;
        if (logOut) {
            for (int j = 0; j < n; ++j) s += (double)g[base + j * inner];
            for (int j = 0; j < n; ++j)
                gx[base + j * inner] = (real)((double)g[base + j * inner] - exp((double)y[base + j * inner]) * s);
        } else {
            for (int j = 0; j < n; ++j) s += (double)g[base + j * inner] * (double)y[base + j * inner];
            for (int j = 0; j < n; ++j)
                gx[base + j * inner] = (real)((double)y[base + j * inner] * ((double)g[base + j * inner] - s));
        }
    }
}

// ---------------------------------------------------------------- loss
// tensor/loss.go CrossEntropy: mean over rows of logsumexp(x_i) - x_i[y_i].
// One block; out[0] is the mean loss, kept on the device.
extern "C" __global__ void ce_fwd(int n, int c, const real* x, const int* labels, real* out) {
    double s = 0;
    for (int i = threadIdx.x; i < n; i += blockDim.x) {
        const real* row = x + (long long)i * c;
        double mx = (double)row[0];
        for (int j = 1; j < c; ++j) mx = (double)row[j] > mx ? (double)row[j] : mx;
        double e = 0;
        for (int j = 0; j < c; ++j) e += exp((double)row[j] - mx);
        s += mx + log(e) - (double)row[labels[i]];
    }
    s = block_sum(s);
    if (threadIdx.x == 0) out[0] = (real)(s / n);
}

// gx = (softmax(x) - onehot(y)) * g[0] / n, g the upstream gradient of the
// scalar loss (a device scalar, so no host round trip).
extern "C" __global__ void ce_bwd(int n, int c, const real* x, const int* labels, const real* g, real* gx) {
    double sc = (double)g[0] / n;
    FOR(k, n * c) {
        int i = k / c, j = k - i * c;
        const real* row = x + (long long)i * c;
        double mx = (double)row[0];
        for (int t = 1; t < c; ++t) mx = (double)row[t] > mx ? (double)row[t] : mx;
        double e = 0;
        for (int t = 0; t < c; ++t) e += exp((double)row[t] - mx);
        double v = exp((double)row[j] - mx) / e;
        if (j == labels[i]) v -= 1;
        gx[k] = (real)(v * sc);
    }
}

// Argmax over each row of x [n, c] (the first maximum on ties, as
// tensor.Argmax).
__device__ __forceinline__ int row_argmax(const real* row, int c) {
    real best = row[0];
    int bi = 0;
    for (int j = 1; j < c; ++j)
        if (row[j] > best) { best = row[j]; bi = j; }
    return bi;
}

extern "C" __global__ void argmax_rows(int n, int c, const real* x, int* out) {
    FOR(i, n) out[i] = row_argmax(x + (long long)i * c, c);
}

// One block: count[0] (+)= number of rows whose argmax equals the label.
extern "C" __global__ void count_correct(int n, int c, const real* x, const int* labels, int* count, int accumulate) {
    double s = 0;
    for (int i = threadIdx.x; i < n; i += blockDim.x)
        s += row_argmax(x + (long long)i * c, c) == labels[i] ? 1.0 : 0.0;
    s = block_sum(s);
    if (threadIdx.x == 0) count[0] = (accumulate ? count[0] : 0) + (int)s;
}

// ---------------------------------------------------------------- convolution
// tensor/conv2d.go, im2col.go. A chunk of nb images is unrolled into
// col [C*K*K, nb*OH*OW] (column n*OH*OW + oh*OW + ow), so that the whole
// chunk is one GEMM Yt [OC, nb*OH*OW] = W [OC, C*K*K] x col.

extern "C" __global__ void im2col(int total, const real* x, real* col, int C, int H, int W, int K, int s, int p,
                                  int OH, int OW, int nb) {
    int ohw = OH * OW, cols = nb * ohw;
    FOR(i, total) {
        int row = i / cols, ci = i - row * cols;
        int n = ci / ohw, r = ci - n * ohw;
        int oh = r / OW, ow = r - oh * OW;
        int c = row / (K * K), kk = row - c * K * K;
        int ki = kk / K, kj = kk - ki * K;
        int ih = oh * s - p + ki, iw = ow * s - p + kj;
        col[i] = (ih >= 0 && ih < H && iw >= 0 && iw < W) ? x[(((long long)n * C + c) * H + ih) * W + iw] : (real)0;
    }
}

// Adjoint of im2col, one thread per element of x (a gather, so no atomics
// and a deterministic order): x[n][c][h][w] = sum of the col entries read
// from it.
extern "C" __global__ void col2im(int total, const real* col, real* x, int C, int H, int W, int K, int s, int p,
                                  int OH, int OW, int nb) {
    int ohw = OH * OW, cols = nb * ohw;
    FOR(i, total) {
        int w = i % W, t = i / W;
        int h = t % H;
        t /= H;
        int c = t % C, n = t / C;
        real sum = 0;
        for (int ki = 0; ki < K; ++ki) {
            int a = h + p - ki;
            if (a < 0 || a % s != 0) continue;
            int oh = a / s;
            if (oh >= OH) continue;
            for (int kj = 0; kj < K; ++kj) {
                int b = w + p - kj;
                if (b < 0 || b % s != 0) continue;
                int ow = b / s;
                if (ow >= OW) continue;
                sum += col[(long long)((c * K + ki) * K + kj) * cols + n * ohw + oh * OW + ow];
            }
        }
        x[i] = sum;
    }
}

// Yt [OC, nb*OHW] -> y [nb, OC, OHW], adding bias[oc] (bias may be null).
extern "C" __global__ void conv_out(int total, const real* yt, const real* bias, real* y, int OC, int ohw, int nb) {
    FOR(i, total) {
        int p = i % ohw, t = i / ohw;
        int o = t % OC, n = t / OC;
        real v = yt[(long long)o * nb * ohw + n * ohw + p];
        y[i] = bias ? v + bias[o] : v;
    }
}

// gy [nb, OC, OHW] -> Gt [OC, nb*OHW].
extern "C" __global__ void conv_gy_t(int total, const real* gy, real* gt, int OC, int ohw, int nb) {
    FOR(j, total) {
        int o = j / (nb * ohw), r = j - o * nb * ohw;
        int n = r / ohw, p = r - n * ohw;
        gt[j] = gy[((long long)n * OC + o) * ohw + p];
    }
}

// ---------------------------------------------------------------- pooling
// tensor/pool.go: windows of K x K moved by s after padding p (p <= K/2).
// Planes (n, c) are independent; index i runs over planes * OH*OW outputs
// or planes * H*W inputs.

// avg: count_include_pad, divisor K*K.
extern "C" __global__ void avgpool_fwd(int total, const real* x, real* y, int H, int W, int K, int s, int p, int OH, int OW) {
    FOR(i, total) {
        int j = i % OW, t = i / OW;
        int oi = t % OH, pl = t / OH;
        const real* xp = x + (long long)pl * H * W;
        int r0 = max(oi * s - p, 0), r1 = min(oi * s - p + K, H);
        int c0 = max(j * s - p, 0), c1 = min(j * s - p + K, W);
        real sum = 0;
        for (int r = r0; r < r1; ++r)
            for (int c = c0; c < c1; ++c) sum += xp[r * W + c];
        y[i] = sum * ((real)1 / (real)(K * K));
    }
}

// Output rows whose window contains input row h: oh*s - p <= h < oh*s - p + K.
__device__ __forceinline__ void covering(int h, int K, int s, int p, int OH, int* lo, int* hi) {
    int a = h + p - K + 1;
    *lo = a <= 0 ? 0 : (a + s - 1) / s;
    *hi = min((h + p) / s, OH - 1); // inclusive
}

extern "C" __global__ void avgpool_bwd(int total, const real* gy, real* gx, int H, int W, int K, int s, int p, int OH, int OW) {
    real inv = (real)1 / (real)(K * K);
    FOR(i, total) {
        int w = i % W, t = i / W;
        int h = t % H, pl = t / H;
        const real* gp = gy + (long long)pl * OH * OW;
        int i0, i1, j0, j1;
        covering(h, K, s, p, OH, &i0, &i1);
        covering(w, K, s, p, OW, &j0, &j1);
        real sum = 0;
        for (int a = i0; a <= i1; ++a)
            for (int b = j0; b <= j1; ++b) sum += gp[a * OW + b] * inv;
        gx[i] = sum;
    }
}

// max: padding never wins; a NaN is the maximum; arg is the index within
// the H*W plane (the first maximum in row-major order on ties).
extern "C" __global__ void maxpool_fwd(int total, const real* x, real* y, int* arg, int H, int W, int K, int s, int p, int OH, int OW) {
    FOR(i, total) {
        int j = i % OW, t = i / OW;
        int oi = t % OH, pl = t / OH;
        const real* xp = x + (long long)pl * H * W;
        int r0 = max(oi * s - p, 0), r1 = min(oi * s - p + K, H);
        int c0 = max(j * s - p, 0), c1 = min(j * s - p + K, W);
        int bi = r0 * W + c0;
        real best = xp[bi];
        for (int r = r0; r < r1; ++r)
            for (int c = c0; c < c1; ++c) {
                real v = xp[r * W + c];
                if (v > best || v != v) { best = v; bi = r * W + c; }
            }
        y[i] = best;
        arg[i] = bi;
    }
}

extern "C" __global__ void maxpool_bwd(int total, const real* gy, const int* arg, real* gx, int H, int W, int K, int s, int p, int OH, int OW) {
    FOR(i, total) {
        int w = i % W, t = i / W;
        int h = t % H, pl = t / H;
        long long base = (long long)pl * OH * OW;
        int me = h * W + w;
        int i0, i1, j0, j1;
        covering(h, K, s, p, OH, &i0, &i1);
        covering(w, K, s, p, OW, &j0, &j1);
        real sum = 0;
        for (int a = i0; a <= i1; ++a)
            for (int b = j0; b <= j1; ++b)
                if (arg[base + a * OW + b] == me) sum += gy[base + a * OW + b];
        gx[i] = sum;
    }
}

// tensor/adaptivepool.go: bin i covers [floor(i*in/out), ceil((i+1)*in/out)).
__device__ __forceinline__ int bin_start(int i, int in, int out) { return i * in / out; }
__device__ __forceinline__ int bin_end(int i, int in, int out) { return ((i + 1) * in + out - 1) / out; }

extern "C" __global__ void adaptive_avg_fwd(int total, const real* x, real* y, int H, int W, int OH, int OW) {
    FOR(i, total) {
        int j = i % OW, t = i / OW;
        int oi = t % OH, pl = t / OH;
        const real* xp = x + (long long)pl * H * W;
        int r0 = bin_start(oi, H, OH), r1 = bin_end(oi, H, OH);
        int c0 = bin_start(j, W, OW), c1 = bin_end(j, W, OW);
        real sum = 0;
        for (int r = r0; r < r1; ++r)
            for (int c = c0; c < c1; ++c) sum += xp[r * W + c];
        y[i] = sum / (real)((r1 - r0) * (c1 - c0));
    }
}

extern "C" __global__ void adaptive_avg_bwd(int total, const real* gy, real* gx, int H, int W, int OH, int OW) {
    FOR(i, total) {
        int w = i % W, t = i / W;
        int h = t % H, pl = t / H;
        const real* gp = gy + (long long)pl * OH * OW;
        real sum = 0;
        // Bins are monotone: start from the first that could contain h.
        for (int a = max(h * OH / H - 1, 0); a < OH && bin_start(a, H, OH) <= h; ++a) {
            int r0 = bin_start(a, H, OH), r1 = bin_end(a, H, OH);
            if (h < r0 || h >= r1) continue;
            for (int b = max(w * OW / W - 1, 0); b < OW && bin_start(b, W, OW) <= w; ++b) {
                int c0 = bin_start(b, W, OW), c1 = bin_end(b, W, OW);
                if (w < c0 || w >= c1) continue;
                sum += gp[a * OW + b] / (real)((r1 - r0) * (c1 - c0));
            }
        }
        gx[i] = sum;
    }
}

// ---------------------------------------------------------------- batch norm
// tensor/batchnorm.go. x [N, C, HW]; M = N*HW values per channel.

// One block per channel: the statistics used to normalise (batch mean and
// biased variance in training, running ones in evaluation) as mean and
// istd = 1/sqrt(var+eps) in double; in training the running statistics
// (if not null) are updated with the unbiased variance.
extern "C" __global__ void bn_stats(int N, int C, int HW, const real* x, double* mean, double* istd,
                                    real* runMean, real* runVar, double momentum, double eps, int training) {
    int c = blockIdx.x;
    if (c >= C) return;
    int M = N * HW;
    double mu, var;
    if (training) {
        double s = 0;
        for (int i = threadIdx.x; i < M; i += blockDim.x) {
            int n = i / HW, j = i - n * HW;
            s += (double)x[((long long)n * C + c) * HW + j];
        }
        mu = block_sum(s) / M;
        double v = 0;
        for (int i = threadIdx.x; i < M; i += blockDim.x) {
            int n = i / HW, j = i - n * HW;
            double d = (double)x[((long long)n * C + c) * HW + j] - mu;
            v += d * d;
        }
        var = block_sum(v) / M;
        if (threadIdx.x == 0 && runMean) {
            runMean[c] = (real)((1 - momentum) * (double)runMean[c] + momentum * mu);
            runVar[c] = (real)((1 - momentum) * (double)runVar[c] + momentum * var * M / (M - 1));
        }
    } else {
        mu = (double)runMean[c];
        var = (double)runVar[c];
    }
    if (threadIdx.x == 0) {
        mean[c] = mu;
        istd[c] = 1.0 / sqrt(var + eps);
    }
}

// y = (x - mean)*(gamma*istd) + beta, rounding as the CPU kernel does.
extern "C" __global__ void bn_apply(int total, int C, int HW, const real* x, const double* mean, const double* istd,
                                    const real* gamma, const real* beta, real* y) {
    FOR(i, total) {
        int c = (i / HW) % C;
        real tm = (real)mean[c], ta = (real)((double)gamma[c] * istd[c]);
        y[i] = (x[i] - tm) * ta + beta[c];
    }
}

// One block per channel: sg = sum g, sgx = istd * sum g*(x - mean), and
// the gamma and beta gradients (each may be null).
extern "C" __global__ void bn_bwd_reduce(int N, int C, int HW, const real* gy, const real* x, const double* mean,
                                         const double* istd, double* sg, double* sgx, real* ggamma, real* gbeta) {
    int c = blockIdx.x;
    if (c >= C) return;
    int M = N * HW;
    double mu = mean[c], a = 0, b = 0;
    for (int i = threadIdx.x; i < M; i += blockDim.x) {
        int n = i / HW, j = i - n * HW;
        long long k = ((long long)n * C + c) * HW + j;
        double g = (double)gy[k];
        a += g;
        b += g * ((double)x[k] - mu);
    }
    a = block_sum(a);
    b = block_sum(b) * istd[c];
    if (threadIdx.x == 0) {
        sg[c] = a;
        sgx[c] = b;
        if (ggamma) ggamma[c] = (real)b;
        if (gbeta) gbeta[c] = (real)a;
    }
}

// gx = k*g + b*(x - mean) + d with k = gamma*istd and, in training,
// b = -k*istd*sgx/M, d = -k*sg/M (zero in evaluation).
extern "C" __global__ void bn_bwd_apply(int total, int C, int HW, int M, const real* gy, const real* x,
                                        const double* mean, const double* istd, const real* gamma,
                                        const double* sg, const double* sgx, int training, real* gx) {
    FOR(i, total) {
        int c = (i / HW) % C;
        double k = (double)gamma[c] * istd[c];
        real a = (real)k, b = 0, d = 0, tm = (real)mean[c];
        if (training) {
            b = (real)(-k * istd[c] * sgx[c] / M);
            d = (real)(-k * sg[c] / M);
        }
        gx[i] = a * gy[i] + b * (x[i] - tm) + d;
    }
}

// ---------------------------------------------------------------- optimiser
// optim/sgd.go: d = g + wd*p; buf = d (first) or momentum*buf + d; p -= lr*d'
// where d' is buf with momentum, d without (buf may then be null).
extern "C" __global__ void sgd_step(int n, real* p, const real* g, real* buf, real lr, real momentum, real wd, int first) {
    FOR(i, n) {
        real d = g[i];
        if (wd != (real)0) d += wd * p[i];
        if (momentum != (real)0) {
            real b = first ? d : buf[i] * momentum + d;
            buf[i] = b;
            d = b;
        }
        p[i] += -lr * d;
    }
}
