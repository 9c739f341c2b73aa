//go:build cuda

package cuda

import (
	"fmt"
	"unsafe"
)

// cuBLAS entry points, bound by bindCublas. alpha and beta are host
// pointers (the default CUBLAS_POINTER_MODE_HOST): cuBLAS reads them during
// the call.
var (
	cublasCreate     func(h *uintptr) int32
	cublasDestroy    func(h uintptr) int32
	cublasSetStream  func(h uintptr, stream uintptr) int32
	cublasGetVersion func(h uintptr, v *int32) int32
	cublasSetMath    func(h uintptr, mode int32) int32
	cublasSgemm      func(h uintptr, ta, tb int32, m, n, k int32, alpha unsafe.Pointer, a uintptr, lda int32, b uintptr, ldb int32, beta unsafe.Pointer, c uintptr, ldc int32) int32
	cublasDgemm      func(h uintptr, ta, tb int32, m, n, k int32, alpha unsafe.Pointer, a uintptr, lda int32, b uintptr, ldb int32, beta unsafe.Pointer, c uintptr, ldc int32) int32
	cublasSgemmSB    func(h uintptr, ta, tb int32, m, n, k int32, alpha unsafe.Pointer, a uintptr, lda int32, sa int64, b uintptr, ldb int32, sb int64, beta unsafe.Pointer, c uintptr, ldc int32, sc int64, count int32) int32
	cublasDgemmSB    func(h uintptr, ta, tb int32, m, n, k int32, alpha unsafe.Pointer, a uintptr, lda int32, sa int64, b uintptr, ldb int32, sb int64, beta unsafe.Pointer, c uintptr, ldc int32, sc int64, count int32) int32
)

func cublasBindings() []binding {
	return []binding{
		{&cublasCreate, "cublasCreate_v2"},
		{&cublasDestroy, "cublasDestroy_v2"},
		{&cublasSetStream, "cublasSetStream_v2"},
		{&cublasGetVersion, "cublasGetVersion_v2"},
		{&cublasSetMath, "cublasSetMathMode"},
		{&cublasSgemm, "cublasSgemm_v2"},
		{&cublasDgemm, "cublasDgemm_v2"},
		{&cublasSgemmSB, "cublasSgemmStridedBatched"},
		{&cublasDgemmSB, "cublasDgemmStridedBatched"},
	}
}

// cublasOperation_t and cublasMath_t values.
const (
	cublasOpN            = 0
	cublasOpT            = 1
	cublasDefaultMath    = 0
	cublasTF32TensorMath = 3
)

var cublasStatusNames = map[int32]string{
	0: "CUBLAS_STATUS_SUCCESS", 1: "CUBLAS_STATUS_NOT_INITIALIZED", 3: "CUBLAS_STATUS_ALLOC_FAILED",
	7: "CUBLAS_STATUS_INVALID_VALUE", 8: "CUBLAS_STATUS_ARCH_MISMATCH", 11: "CUBLAS_STATUS_MAPPING_ERROR",
	13: "CUBLAS_STATUS_EXECUTION_FAILED", 14: "CUBLAS_STATUS_INTERNAL_ERROR", 15: "CUBLAS_STATUS_NOT_SUPPORTED",
	16: "CUBLAS_STATUS_LICENSE_ERROR",
}

func cublasErr(what string, st int32) error {
	if st == 0 {
		return nil
	}
	name, ok := cublasStatusNames[st]
	if !ok {
		name = fmt.Sprintf("cublasStatus(%d)", st)
	}
	return &Error{Op: what, Code: int(st), Msg: what + " failed: " + name}
}

// gemmCall is one column-major cuBLAS GEMM, as the arguments of
// cublas?gemm: C (m x n, column-major, leading dimension ldc) =
// op(A) (m x k) op(B) (k x n), where A is the buffer named by firstA.
//
// # Row-major to column-major
//
// nnkit stores matrices row-major; cuBLAS reads them column-major. A
// row-major r x c matrix with row stride ld is, byte for byte, the
// column-major c x r matrix (its transpose) with leading dimension ld. So
// the row-major product
//
//	C = op(A) op(B)          C: m x n, op(A): m x k, op(B): k x n
//
// is, transposed, C^T = op(B)^T op(A)^T, which in cuBLAS's column-major
// view is an m' x n' = n x m product of B's storage (first) and A's
// storage (second), each with the same transpose flag as in the row-major
// call and its row-major leading dimension:
//
//	cublas gemm(opB, opA, n, m, k, alpha, B, ldb, A, lda, beta, C, ldc=n)
//
// with lda = k (A not transposed, stored m x k) or m (transposed, stored
// k x m), and ldb = n (B stored k x n) or k (transposed, stored n x k).
type gemmCall struct {
	transA, transB int32 // cublasOperation_t of the first and second operand
	m, n, k        int32
	firstIsB       bool // the first operand is the row-major B
	lda, ldb, ldc  int32
}

// rowMajorGemm maps the row-major C[m,n] = op(A) op(B) onto cuBLAS.
func rowMajorGemm(ta, tb bool, m, n, k int) gemmCall {
	lda, ldb := k, n
	if ta {
		lda = m
	}
	if tb {
		ldb = k
	}
	op := func(t bool) int32 {
		if t {
			return cublasOpT
		}
		return cublasOpN
	}
	return gemmCall{
		transA: op(tb), transB: op(ta),
		m: int32(n), n: int32(m), k: int32(k),
		firstIsB: true,
		lda:      int32(ldb), ldb: int32(lda), ldc: int32(n),
	}
}
