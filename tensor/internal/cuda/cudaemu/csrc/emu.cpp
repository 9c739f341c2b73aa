// A CPU emulator of the parts of the CUDA driver, cuBLAS and NVRTC that
// nnkit's internal/cuda uses, for testing the whole backend on a machine
// without a GPU. cudaemu.go generates gen.inc (kernels.cu compiled as C++
// twice, for float and double, plus a launch wrapper per kernel) and builds
// this file into one shared library, which it offers to Open under the
// names libcuda.so.1, libcublas.so.12 and libnvrtc.so.12.
//
// Kernels run with their real grid and block sizes: each block's threads
// are fibers (ucontext) scheduled round-robin, __syncthreads yields to the
// scheduler, shared memory is a static variable (one block runs at a time)
// and __shfl_down_sync goes through a block-wide buffer between two
// barriers. This checks the kernels' indexing, reductions and barriers, not
// their speed or memory model.

#include <ucontext.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

// ---------------------------------------------------------------- CUDA C shim

#define __global__
#define __device__
#define __forceinline__ inline
#define __shared__ static

using std::exp;
using std::fabs;
using std::log;
using std::pow;
using std::sqrt;
using std::tanh;

static inline int max(int a, int b) { return a > b ? a : b; }
static inline int min(int a, int b) { return a < b ? a : b; }

struct emu_dim3 {
    unsigned x, y, z;
};
static emu_dim3 threadIdx, blockIdx, blockDim, gridDim;

struct Fiber {
    ucontext_t ctx;
    bool done;
    const int* wait_gen; // waiting at a barrier until *wait_gen != wait_val
    int wait_val;
};
static ucontext_t sched_ctx;
static Fiber* fibers;
static char* stacks;
static const size_t stack_size = 64 << 10;
static const int max_threads = 1024;
static int cur;
static void (*cur_wrap)(void**);
static void** cur_params;

static bool serial; // running a kernel without barriers: no fibers

static void yield_fiber(const int* gen, int val) {
    fibers[cur].wait_gen = gen;
    fibers[cur].wait_val = val;
    if (serial) {
        fprintf(stderr, "emulator: barrier in a kernel marked barrier-free\n");
        abort();
    }
    swapcontext(&fibers[cur].ctx, &sched_ctx);
}

// Counting barriers: the block's (threads that have finished do not count)
// and each warp's, for the shuffles.
static int bar_count, bar_gen, finished;
static int warp_count[max_threads / 32], warp_gen[max_threads / 32];

static void __syncthreads() {
    int g = bar_gen;
    if (++bar_count >= (int)blockDim.x - finished) {
        bar_count = 0;
        bar_gen++;
        return;
    }
    while (bar_gen == g) yield_fiber(&bar_gen, g);
}

static void warp_sync() {
    int w = threadIdx.x >> 5;
    int n = min(32, (int)blockDim.x - 32 * w);
    int g = warp_gen[w];
    if (++warp_count[w] >= n) {
        warp_count[w] = 0;
        warp_gen[w]++;
        return;
    }
    while (warp_gen[w] == g) yield_fiber(&warp_gen[w], g);
}

static double shfl_buf[max_threads];
static double __shfl_down_sync(unsigned, double v, int d) {
    int t = threadIdx.x;
    shfl_buf[t] = v;
    warp_sync();
    int lane = t & 31;
    double r = (lane + d < 32 && t + d < (int)blockDim.x) ? shfl_buf[t + d] : v;
    warp_sync();
    return r;
}

static void fiber_entry(int t) {
    cur_wrap(cur_params);
    fibers[t].done = true;
    finished++;
    // A barrier waiting only for this thread can now open.
    if (bar_count > 0 && bar_count >= (int)blockDim.x - finished) {
        bar_count = 0;
        bar_gen++;
    }
}

// run executes wrap(params) over the grid; a kernel without barriers
// (sync false) runs its threads one after another, without fibers.
static int run(void (*wrap)(void**), void** params, unsigned gx, unsigned bx, bool sync) {
    if (bx == 0 || bx > (unsigned)max_threads || gx == 0) return 1; // CUDA_ERROR_INVALID_VALUE
    if (!fibers) {
        fibers = new Fiber[max_threads];
        stacks = (char*)malloc(stack_size * max_threads);
    }
    cur_wrap = wrap;
    cur_params = params;
    gridDim = {gx, 1, 1};
    blockDim = {bx, 1, 1};
    serial = !sync;
    for (unsigned b = 0; b < gx; ++b) {
        blockIdx = {b, 0, 0};
        if (serial) {
            for (unsigned t = 0; t < bx; ++t) {
                threadIdx = {t, 0, 0};
                wrap(params);
            }
            continue;
        }
        bar_count = bar_gen = finished = 0;
        memset(warp_count, 0, sizeof warp_count);
        memset(warp_gen, 0, sizeof warp_gen);
        for (unsigned t = 0; t < bx; ++t) {
            Fiber& f = fibers[t];
            getcontext(&f.ctx);
            f.ctx.uc_stack.ss_sp = stacks + t * stack_size;
            f.ctx.uc_stack.ss_size = stack_size;
            f.ctx.uc_link = &sched_ctx;
            f.done = false;
            f.wait_gen = nullptr;
            makecontext(&f.ctx, (void (*)())fiber_entry, 1, (int)t);
        }
        for (;;) {
            int alive = 0;
            for (unsigned t = 0; t < bx; ++t) {
                if (fibers[t].done) continue;
                if (fibers[t].wait_gen && *fibers[t].wait_gen == fibers[t].wait_val) {
                    alive++; // still blocked: do not switch to it
                    continue;
                }
                threadIdx = {t, 0, 0};
                cur = (int)t;
                swapcontext(&sched_ctx, &fibers[t].ctx);
                if (!fibers[t].done) alive++;
            }
            if (alive == 0) break;
        }
    }
    return 0;
}

// gen.inc: namespaces nk_f32 and nk_f64 with the kernels, and
// static const KernelEntry table_f32[], table_f64[] (null-terminated).
struct KernelEntry {
    const char* name;
    void (*wrap)(void**);
    bool sync; // uses __syncthreads or shuffles (directly or through a helper)
};
#include "gen.inc"

// ---------------------------------------------------------------- driver API

extern "C" {
typedef int CUresult;

CUresult cuInit(unsigned) { return 0; }
CUresult cuDriverGetVersion(int* v) { *v = 12040; return 0; }
CUresult cuDeviceGetCount(int* n) { *n = 1; return 0; }
CUresult cuDeviceGet(int* d, int o) { *d = o; return o == 0 ? 0 : 101; }
CUresult cuDeviceGetName(char* name, int len, int) {
    snprintf(name, len, "nnkit CUDA emulator (CPU)");
    return 0;
}
CUresult cuDeviceTotalMem_v2(size_t* b, int) { *b = (size_t)1 << 32; return 0; }
CUresult cuDeviceGetAttribute(int* v, int attr, int) {
    switch (attr) {
    case 1: *v = 1024; break;  // max threads per block
    case 16: *v = 1; break;    // SMs: few blocks keep emulation quick
    case 75: *v = 9; break;    // compute capability 9.0
    case 76: *v = 0; break;
    default: *v = 0;
    }
    return 0;
}
CUresult cuDevicePrimaryCtxRetain(void** ctx, int) { *ctx = (void*)1; return 0; }
CUresult cuDevicePrimaryCtxRelease_v2(int) { return 0; }
CUresult cuCtxSetCurrent(void*) { return 0; }
CUresult cuCtxSynchronize() { return 0; }

static size_t in_use;
CUresult cuMemAlloc_v2(uintptr_t* p, size_t bytes) {
    void* m = aligned_alloc(256, (bytes + 255) / 256 * 256);
    if (!m) return 2;
    memset(m, 0xCD, bytes); // uninitialised memory is not zero on a GPU either
    *p = (uintptr_t)m;
    in_use += bytes;
    return 0;
}
CUresult cuMemFree_v2(uintptr_t p) { free((void*)p); return 0; }
CUresult cuMemGetInfo_v2(size_t* fr, size_t* total) { *total = (size_t)1 << 32; *fr = *total - in_use; return 0; }
CUresult cuMemcpyHtoDAsync_v2(uintptr_t dst, const void* src, size_t n, void*) { memcpy((void*)dst, src, n); return 0; }
CUresult cuMemcpyDtoHAsync_v2(void* dst, uintptr_t src, size_t n, void*) { memcpy(dst, (void*)src, n); return 0; }
CUresult cuMemcpyDtoDAsync_v2(uintptr_t dst, uintptr_t src, size_t n, void*) { memmove((void*)dst, (void*)src, n); return 0; }
CUresult cuMemsetD8Async(uintptr_t dst, unsigned char v, size_t n, void*) { memset((void*)dst, v, n); return 0; }
CUresult cuStreamCreate(void** s, unsigned) { *s = (void*)2; return 0; }
CUresult cuStreamDestroy_v2(void*) { return 0; }
CUresult cuStreamSynchronize(void*) { return 0; }

// Modules: the "PTX" from the fake NVRTC names the element type.
CUresult cuModuleLoadData(void** m, const void* image) {
    const char* s = (const char*)image;
    if (strncmp(s, "EMU ", 4) != 0) return 218; // CUDA_ERROR_INVALID_PTX
    *m = strcmp(s + 4, "double") == 0 ? (void*)table_f64 : (void*)table_f32;
    return 0;
}
CUresult cuModuleUnload(void*) { return 0; }
CUresult cuModuleGetFunction(void** f, void* m, const char* name) {
    for (const KernelEntry* e = (const KernelEntry*)m; e->name; ++e)
        if (strcmp(e->name, name) == 0) {
            *f = (void*)e;
            return 0;
        }
    return 500; // CUDA_ERROR_NOT_FOUND
}
CUresult cuLaunchKernel(void* f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                        unsigned, void*, void** params, void**) {
    if (gy != 1 || gz != 1 || by != 1 || bz != 1) return 1;
    const KernelEntry* e = (const KernelEntry*)f;
    return run(e->wrap, params, gx, bx, e->sync);
}
CUresult cuGetErrorName(CUresult r, const char** s) {
    static char buf[64];
    snprintf(buf, sizeof buf, r == 0 ? "CUDA_SUCCESS" : "CUDA_ERROR_EMULATED_%d", r);
    *s = buf;
    return 0;
}
CUresult cuGetErrorString(CUresult, const char** s) { *s = "emulator error"; return 0; }

// ---------------------------------------------------------------- cuBLAS

typedef int cublasStatus_t;
cublasStatus_t cublasCreate_v2(void** h) { *h = (void*)3; return 0; }
cublasStatus_t cublasDestroy_v2(void*) { return 0; }
cublasStatus_t cublasSetStream_v2(void*, void*) { return 0; }
cublasStatus_t cublasGetVersion_v2(void*, int* v) { *v = 120400; return 0; }
cublasStatus_t cublasSetMathMode(void*, int) { return 0; }

// Column-major C = alpha op(A) op(B) + beta C, accumulated in double.
extern "C++" template <typename T>
cublasStatus_t gemm(int ta, int tb, int m, int n, int k, const T* alpha, const T* A, int lda, const T* B,
                           int ldb, const T* beta, T* C, int ldc) {
    if (lda < (ta ? k : m) || ldb < (tb ? n : k) || ldc < m || lda < 1 || ldb < 1 || ldc < 1) return 7;
    for (int j = 0; j < n; ++j)
        for (int i = 0; i < m; ++i) {
            double s = 0;
            for (int l = 0; l < k; ++l) {
                double a = ta ? A[l + (size_t)i * lda] : A[i + (size_t)l * lda];
                double b = tb ? B[j + (size_t)l * ldb] : B[l + (size_t)j * ldb];
                s += a * b;
            }
            T& c = C[i + (size_t)j * ldc];
            c = (T)((double)*alpha * s + (*beta == 0 ? 0.0 : (double)*beta * (double)c));
        }
    return 0;
}
cublasStatus_t cublasSgemm_v2(void*, int ta, int tb, int m, int n, int k, const float* al, const float* A, int lda,
                              const float* B, int ldb, const float* be, float* C, int ldc) {
    return gemm(ta, tb, m, n, k, al, A, lda, B, ldb, be, C, ldc);
}
cublasStatus_t cublasDgemm_v2(void*, int ta, int tb, int m, int n, int k, const double* al, const double* A, int lda,
                              const double* B, int ldb, const double* be, double* C, int ldc) {
    return gemm(ta, tb, m, n, k, al, A, lda, B, ldb, be, C, ldc);
}
extern "C++" template <typename T>
cublasStatus_t gemmSB(int ta, int tb, int m, int n, int k, const T* al, const T* A, int lda, long long sa,
                             const T* B, int ldb, long long sb, const T* be, T* C, int ldc, long long sc, int count) {
    for (int i = 0; i < count; ++i) {
        cublasStatus_t st = gemm(ta, tb, m, n, k, al, A + i * sa, lda, B + i * sb, ldb, be, C + i * sc, ldc);
        if (st) return st;
    }
    return 0;
}
cublasStatus_t cublasSgemmStridedBatched(void*, int ta, int tb, int m, int n, int k, const float* al, const float* A,
                                         int lda, long long sa, const float* B, int ldb, long long sb, const float* be,
                                         float* C, int ldc, long long sc, int count) {
    return gemmSB(ta, tb, m, n, k, al, A, lda, sa, B, ldb, sb, be, C, ldc, sc, count);
}
cublasStatus_t cublasDgemmStridedBatched(void*, int ta, int tb, int m, int n, int k, const double* al, const double* A,
                                         int lda, long long sa, const double* B, int ldb, long long sb,
                                         const double* be, double* C, int ldc, long long sc, int count) {
    return gemmSB(ta, tb, m, n, k, al, A, lda, sa, B, ldb, sb, be, C, ldc, sc, count);
}

// ---------------------------------------------------------------- NVRTC

struct Prog {
    std::string ptx, log;
};
int nvrtcVersion(int* a, int* b) { *a = 12; *b = 4; return 0; }
int nvrtcCreateProgram(Prog** p, const char* src, const char*, int, const char* const*, const char* const*) {
    if (!src || !strstr(src, "__global__")) return 4; // NVRTC_ERROR_INVALID_INPUT
    *p = new Prog;
    return 0;
}
int nvrtcCompileProgram(Prog* p, int n, const char* const* opts) {
    bool arch = false;
    std::string real = "float";
    for (int i = 0; i < n; ++i) {
        if (strncmp(opts[i], "--gpu-architecture=compute_", 27) == 0) arch = true;
        if (strncmp(opts[i], "-Dreal=", 7) == 0) real = opts[i] + 7;
    }
    if (!arch) {
        p->log = "emulator: no --gpu-architecture option";
        return 6; // NVRTC_ERROR_COMPILATION
    }
    p->ptx = "EMU " + real;
    return 0;
}
int nvrtcGetPTXSize(Prog* p, size_t* n) { *n = p->ptx.size() + 1; return 0; }
int nvrtcGetPTX(Prog* p, char* out) { memcpy(out, p->ptx.c_str(), p->ptx.size() + 1); return 0; }
int nvrtcGetProgramLogSize(Prog* p, size_t* n) { *n = p->log.size() + 1; return 0; }
int nvrtcGetProgramLog(Prog* p, char* out) { memcpy(out, p->log.c_str(), p->log.size() + 1); return 0; }
int nvrtcDestroyProgram(Prog** p) { delete *p; *p = nullptr; return 0; }
const char* nvrtcGetErrorString(int r) { return r == 0 ? "NVRTC_SUCCESS" : "NVRTC_ERROR (emulator)"; }
static const int archs[] = {52, 60, 70, 75, 80, 86, 89, 90};
int nvrtcGetNumSupportedArchs(int* n) { *n = sizeof archs / sizeof archs[0]; return 0; }
int nvrtcGetSupportedArchs(int* a) { memcpy(a, archs, sizeof archs); return 0; }
}
