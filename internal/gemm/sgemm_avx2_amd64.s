//go:build amd64 && !purego

#include "textflag.h"

// func sgemmKernel6x16AVX2(kc int, a *float32, ars, aks int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)
//
// C[0:6, 0:16] = alpha * A(6 x kc) * B(kc x 16) + beta * C, where A is a
// sliver with element (i, p) at a[i*ars + p*aks]
// (a packed sliver has ars = 1, aks = 6; rows of A read in place have
// ars = lda, aks = 1) and row p of B starts at b + p*ldb.
//
// Registers: Y0-Y11 accumulate the tile (row i in Y(2i), Y(2i+1)); Y12,
// Y13 hold one row of B; Y14/Y15 take turns holding a broadcast element of
// A. One k step is 2 loads, 6 broadcasts and 12 independent FMAs.

#define ROW_FMA(areg, addr, c0, c1) \
	VBROADCASTSS addr, areg; \
	VFMADD231PS  Y12, areg, c0; \
	VFMADD231PS  Y13, areg, c1

#define KSTEP \
	VMOVUPS (DI), Y12; \
	VMOVUPS 32(DI), Y13; \
	ROW_FMA(Y14, (SI), Y0, Y1); \
	ROW_FMA(Y15, (SI)(R11*1), Y2, Y3); \
	ROW_FMA(Y14, (SI)(R11*2), Y4, Y5); \
	ROW_FMA(Y15, (R10), Y6, Y7); \
	ROW_FMA(Y14, (R10)(R11*1), Y8, Y9); \
	ROW_FMA(Y15, (R10)(R11*2), Y10, Y11); \
	ADDQ R12, SI; \
	ADDQ R12, R10; \
	ADDQ R8, DI

// C row = alpha*acc + beta*C, alpha in Y14, beta in Y15.
#define STORE_BETA(c0, c1) \
	VMULPS      (DX), Y15, Y12; \
	VFMADD231PS c0, Y14, Y12; \
	VMOVUPS     Y12, (DX); \
	VMULPS      32(DX), Y15, Y13; \
	VFMADD231PS c1, Y14, Y13; \
	VMOVUPS     Y13, 32(DX); \
	ADDQ        R9, DX

// C row = alpha*acc, C not read.
#define STORE_ZERO(c0, c1) \
	VMULPS  c0, Y14, c0; \
	VMOVUPS c0, (DX); \
	VMULPS  c1, Y14, c1; \
	VMOVUPS c1, 32(DX); \
	ADDQ    R9, DX

TEXT ·sgemmKernel6x16AVX2(SB), NOSPLIT, $0-72
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ ars+16(FP), R11
	SHLQ $2, R11
	MOVQ aks+24(FP), R12
	SHLQ $2, R12
	LEAQ (SI)(R11*2), R10
	ADDQ R11, R10
	MOVQ b+32(FP), DI
	MOVQ ldb+40(FP), R8
	SHLQ $2, R8
	MOVQ c+48(FP), DX
	MOVQ ldc+56(FP), R9
	SHLQ $2, R9

	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11

	MOVQ CX, BX
	SHRQ $1, BX
	JZ   tail

loop2:
	KSTEP
	KSTEP
	DECQ BX
	JNZ  loop2

tail:
	TESTQ $1, CX
	JZ    store
	KSTEP

store:
	VBROADCASTSS alpha+64(FP), Y14
	MOVL         beta+68(FP), AX
	ANDL         $0x7fffffff, AX // beta == 0 (either sign)?
	JZ           betazero
	VBROADCASTSS beta+68(FP), Y15
	STORE_BETA(Y0, Y1)
	STORE_BETA(Y2, Y3)
	STORE_BETA(Y4, Y5)
	STORE_BETA(Y6, Y7)
	STORE_BETA(Y8, Y9)
	STORE_BETA(Y10, Y11)
	VZEROUPPER
	RET

betazero:
	STORE_ZERO(Y0, Y1)
	STORE_ZERO(Y2, Y3)
	STORE_ZERO(Y4, Y5)
	STORE_ZERO(Y6, Y7)
	STORE_ZERO(Y8, Y9)
	STORE_ZERO(Y10, Y11)
	VZEROUPPER
	RET
