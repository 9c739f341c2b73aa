//go:build amd64 && !purego

#include "textflag.h"

// func sgemmKernel6x64AVX512(kc int, a *float32, ars, aks int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)
//
// C[0:6, 0:64] = alpha * A(6 x kc) * B(kc x 64) + beta * C, where A is a
// sliver with element (i, p) at a[i*ars + p*aks]
// (a packed sliver has ars = 1, aks = 6; rows of A read in place have
// ars = lda, aks = 1) and row p of B starts at b + p*ldb.
//
// Registers: Z0-Z23 accumulate the tile (row i in Z(4i)..Z(4i+3)); Z24-Z27
// hold one row of B; Z28/Z29 take turns holding a broadcast element of A.
// One k step is 4 loads, 6 broadcasts and 24 independent FMAs, enough to
// cover the 4-cycle FMA latency at one 512-bit FMA per cycle.

#define ROW_FMA(areg, addr, c0, c1, c2, c3) \
	VBROADCASTSS addr, areg; \
	VFMADD231PS  Z24, areg, c0; \
	VFMADD231PS  Z25, areg, c1; \
	VFMADD231PS  Z26, areg, c2; \
	VFMADD231PS  Z27, areg, c3

#define KSTEP \
	VMOVUPS (DI), Z24; \
	VMOVUPS 64(DI), Z25; \
	VMOVUPS 128(DI), Z26; \
	VMOVUPS 192(DI), Z27; \
	ROW_FMA(Z28, (SI), Z0, Z1, Z2, Z3); \
	ROW_FMA(Z29, (SI)(R11*1), Z4, Z5, Z6, Z7); \
	ROW_FMA(Z28, (SI)(R11*2), Z8, Z9, Z10, Z11); \
	ROW_FMA(Z29, (R10), Z12, Z13, Z14, Z15); \
	ROW_FMA(Z28, (R10)(R11*1), Z16, Z17, Z18, Z19); \
	ROW_FMA(Z29, (R10)(R11*2), Z20, Z21, Z22, Z23); \
	ADDQ R12, SI; \
	ADDQ R12, R10; \
	ADDQ R8, DI

// C row = alpha*acc + beta*C, alpha in Z28, beta in Z29.
#define STORE_BETA(c0, c1, c2, c3) \
	VMULPS      (DX), Z29, Z30; \
	VFMADD231PS c0, Z28, Z30; \
	VMOVUPS     Z30, (DX); \
	VMULPS      64(DX), Z29, Z30; \
	VFMADD231PS c1, Z28, Z30; \
	VMOVUPS     Z30, 64(DX); \
	VMULPS      128(DX), Z29, Z30; \
	VFMADD231PS c2, Z28, Z30; \
	VMOVUPS     Z30, 128(DX); \
	VMULPS      192(DX), Z29, Z30; \
	VFMADD231PS c3, Z28, Z30; \
	VMOVUPS     Z30, 192(DX); \
	ADDQ        R9, DX

// C row = alpha*acc, C not read.
#define STORE_ZERO(c0, c1, c2, c3) \
	VMULPS  c0, Z28, c0; \
	VMOVUPS c0, (DX); \
	VMULPS  c1, Z28, c1; \
	VMOVUPS c1, 64(DX); \
	VMULPS  c2, Z28, c2; \
	VMOVUPS c2, 128(DX); \
	VMULPS  c3, Z28, c3; \
	VMOVUPS c3, 192(DX); \
	ADDQ    R9, DX

TEXT ·sgemmKernel6x64AVX512(SB), NOSPLIT, $0-72
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

	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	VPXORD Z20, Z20, Z20
	VPXORD Z21, Z21, Z21
	VPXORD Z22, Z22, Z22
	VPXORD Z23, Z23, Z23

	// Two k steps per iteration, then the odd one out.
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
	VBROADCASTSS alpha+64(FP), Z28
	MOVL         beta+68(FP), AX
	ANDL         $0x7fffffff, AX // beta == 0 (either sign)?
	JZ           betazero
	VBROADCASTSS beta+68(FP), Z29
	STORE_BETA(Z0, Z1, Z2, Z3)
	STORE_BETA(Z4, Z5, Z6, Z7)
	STORE_BETA(Z8, Z9, Z10, Z11)
	STORE_BETA(Z12, Z13, Z14, Z15)
	STORE_BETA(Z16, Z17, Z18, Z19)
	STORE_BETA(Z20, Z21, Z22, Z23)
	VZEROUPPER
	RET

betazero:
	STORE_ZERO(Z0, Z1, Z2, Z3)
	STORE_ZERO(Z4, Z5, Z6, Z7)
	STORE_ZERO(Z8, Z9, Z10, Z11)
	STORE_ZERO(Z12, Z13, Z14, Z15)
	STORE_ZERO(Z16, Z17, Z18, Z19)
	STORE_ZERO(Z20, Z21, Z22, Z23)
	VZEROUPPER
	RET
