//go:build amd64 && !purego

#include "textflag.h"

// reluForward and reluBackward (activation.go) for float32: MAXPS with 0 as
// its second source returns x when x > 0 and 0 otherwise (for NaN and -0
// too), exactly as the Go loop; the backward keeps g where y > 0.

// func reluAVX512(dst, src *float32, n int)
// n is a positive multiple of 16.
TEXT ·reluAVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	VPXORD Z31, Z31, Z31
loopf:
	VMOVUPS (SI), Z0
	VMAXPS  Z31, Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JNZ  loopf
	VZEROUPPER
	RET

// func reluBackAVX512(dst, gr, y *float32, n int)
// n is a positive multiple of 16.
TEXT ·reluBackAVX512(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ gr+8(FP), SI
	MOVQ y+16(FP), DX
	MOVQ n+24(FP), CX
	VPXORD Z31, Z31, Z31
loopb:
	VMOVUPS   (DX), Z1
	VCMPPS    $0x1e, Z31, Z1, K1 // y > 0
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS   Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $64, DI
	SUBQ $16, CX
	JNZ  loopb
	VZEROUPPER
	RET

// func sigmoidBackAVX512(dst, gr, y *float32, n int)
// dst = (g*y) * (1-y), each operation rounded as in the Go loop
// (sigmoidBackward; no FMA). n is a positive multiple of 16.
TEXT ·sigmoidBackAVX512(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ gr+8(FP), SI
	MOVQ y+16(FP), DX
	MOVQ n+24(FP), CX
	MOVL $0x3f800000, AX
	VPBROADCASTD AX, Z31
loops:
	VMOVUPS (DX), Z1
	VMULPS  (SI), Z1, Z0
	VSUBPS  Z1, Z31, Z2
	VMULPS  Z2, Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $64, DI
	SUBQ $16, CX
	JNZ  loops
	VZEROUPPER
	RET

// func addConstAVX512(dst *float32, c float32, n int)
// dst[i] += c (the same rounding as the Go loop); n is a positive multiple
// of 16.
TEXT ·addConstAVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	VBROADCASTSS c+8(FP), Z31
	MOVQ n+16(FP), CX
loopc:
	VADDPS  (DI), Z31, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, DI
	SUBQ $16, CX
	JNZ  loopc
	VZEROUPPER
	RET

// Batch norm's elementwise passes (batchnorm.go) for float32, the same
// operations in the same order as bnNormRow and bnGradRow (no fused
// multiply-add), so the same bits.

// func bnNormAVX512(dst, src *float32, n int, tm, ta, tb float32)
// dst[i] = (src[i] - tm) * ta + tb; n is a positive multiple of 16.
TEXT ·bnNormAVX512(SB), NOSPLIT, $0-36
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS tm+24(FP), Z29
	VBROADCASTSS ta+28(FP), Z30
	VBROADCASTSS tb+32(FP), Z31
loopn:
	VMOVUPS (SI), Z0
	VSUBPS  Z29, Z0, Z0
	VMULPS  Z30, Z0, Z0
	VADDPS  Z31, Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JNZ  loopn
	VZEROUPPER
	RET

// func bnGradAVX512(dst, gy, x *float32, n int, a, b, d, tm float32)
// dst[i] = (a*gy[i] + b*(x[i]-tm)) + d; n is a positive multiple of 16.
TEXT ·bnGradAVX512(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ gy+8(FP), SI
	MOVQ x+16(FP), DX
	MOVQ n+24(FP), CX
	VBROADCASTSS a+32(FP), Z28
	VBROADCASTSS b+36(FP), Z29
	VBROADCASTSS d+40(FP), Z30
	VBROADCASTSS tm+44(FP), Z31
loopg:
	VMULPS  (SI), Z28, Z0
	VMOVUPS (DX), Z1
	VSUBPS  Z31, Z1, Z1
	VMULPS  Z29, Z1, Z1
	VADDPS  Z1, Z0, Z0
	VADDPS  Z30, Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $64, DI
	SUBQ $16, CX
	JNZ  loopg
	VZEROUPPER
	RET

// Batch norm's float64 sums over a float32 plane (bnRowSum, bnRowSqDev,
// bnRowBackSums in batchnorm.go, which give the order): 16 lanes in two
// registers, then lane l+8 added to lane l, l+4, l+2, lane 1 to lane 0.
// n is a positive multiple of 16. No fused multiply-add.

#define REDUCE16(lo, hi, ylo, yhi, xlo, xhi) \
	VADDPD hi, lo, lo \
	VEXTRACTF64X4 $1, lo, yhi \
	VADDPD yhi, ylo, ylo \
	VEXTRACTF128 $1, ylo, xhi \
	VADDPD xhi, xlo, xlo \
	VPERMILPD $1, xlo, xhi \
	VADDSD xhi, xlo, xlo

// func bnRowSumAVX512(x *float32, n int) float64
TEXT ·bnRowSumAVX512(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VXORPD Z0, Z0, Z0
	VXORPD Z1, Z1, Z1
loops:
	VCVTPS2PD (SI), Z2
	VCVTPS2PD 32(SI), Z3
	VADDPD Z2, Z0, Z0
	VADDPD Z3, Z1, Z1
	ADDQ $64, SI
	SUBQ $16, CX
	JNZ  loops
	REDUCE16(Z0, Z1, Y0, Y1, X0, X1)
	MOVSD X0, ret+16(FP)
	VZEROUPPER
	RET

// func bnRowSqDevAVX512(x *float32, n int, mu float64) float64
TEXT ·bnRowSqDevAVX512(SB), NOSPLIT, $0-32
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VBROADCASTSD mu+16(FP), Z31
	VXORPD Z0, Z0, Z0
	VXORPD Z1, Z1, Z1
loopq:
	VCVTPS2PD (SI), Z2
	VCVTPS2PD 32(SI), Z3
	VSUBPD Z31, Z2, Z2
	VSUBPD Z31, Z3, Z3
	VMULPD Z2, Z2, Z2
	VMULPD Z3, Z3, Z3
	VADDPD Z2, Z0, Z0
	VADDPD Z3, Z1, Z1
	ADDQ $64, SI
	SUBQ $16, CX
	JNZ  loopq
	REDUCE16(Z0, Z1, Y0, Y1, X0, X1)
	MOVSD X0, ret+24(FP)
	VZEROUPPER
	RET

// func bnRowBackSumsAVX512(gy, x *float32, n int, mu float64) (sg, sgx float64)
TEXT ·bnRowBackSumsAVX512(SB), NOSPLIT, $0-48
	MOVQ gy+0(FP), SI
	MOVQ x+8(FP), DX
	MOVQ n+16(FP), CX
	VBROADCASTSD mu+24(FP), Z31
	VXORPD Z0, Z0, Z0
	VXORPD Z1, Z1, Z1
	VXORPD Z4, Z4, Z4
	VXORPD Z5, Z5, Z5
loopb:
	VCVTPS2PD (SI), Z2
	VCVTPS2PD 32(SI), Z3
	VCVTPS2PD (DX), Z6
	VCVTPS2PD 32(DX), Z7
	VADDPD Z2, Z0, Z0
	VADDPD Z3, Z1, Z1
	VSUBPD Z31, Z6, Z6
	VSUBPD Z31, Z7, Z7
	VMULPD Z6, Z2, Z2
	VMULPD Z7, Z3, Z3
	VADDPD Z2, Z4, Z4
	VADDPD Z3, Z5, Z5
	ADDQ $64, SI
	ADDQ $64, DX
	SUBQ $16, CX
	JNZ  loopb
	REDUCE16(Z0, Z1, Y0, Y1, X0, X1)
	MOVSD X0, sg+32(FP)
	REDUCE16(Z4, Z5, Y4, Y5, X4, X5)
	MOVSD X4, sgx+40(FP)
	VZEROUPPER
	RET
