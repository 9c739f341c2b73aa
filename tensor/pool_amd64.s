//go:build amd64 && !purego

#include "textflag.h"

// Lane indexes for VPERMT2PS: the even and the odd elements of two vectors.
DATA poolEven<>+0(SB)/8, $0x0000000200000000
DATA poolEven<>+8(SB)/8, $0x0000000600000004
DATA poolEven<>+16(SB)/8, $0x0000000a00000008
DATA poolEven<>+24(SB)/8, $0x0000000e0000000c
DATA poolEven<>+32(SB)/8, $0x0000001200000010
DATA poolEven<>+40(SB)/8, $0x0000001600000014
DATA poolEven<>+48(SB)/8, $0x0000001a00000018
DATA poolEven<>+56(SB)/8, $0x0000001e0000001c
GLOBL poolEven<>(SB), RODATA|NOPTR, $64
DATA poolOdd<>+0(SB)/8, $0x0000000300000001
DATA poolOdd<>+8(SB)/8, $0x0000000700000005
DATA poolOdd<>+16(SB)/8, $0x0000000b00000009
DATA poolOdd<>+24(SB)/8, $0x0000000f0000000d
DATA poolOdd<>+32(SB)/8, $0x0000001300000011
DATA poolOdd<>+40(SB)/8, $0x0000001700000015
DATA poolOdd<>+48(SB)/8, $0x0000001b00000019
DATA poolOdd<>+56(SB)/8, $0x0000001f0000001d
GLOBL poolOdd<>(SB), RODATA|NOPTR, $64

// func maxPool3s2AVX512(y *float32, arg *int32, x *float32, w int, start int, n int) (nan uint16)
//
// n (1 to 16) outputs of a 3 x 3, stride-2 max pooling whose windows lie
// inside the plane: output l's window is x[r*w + 2l + k] for r, k < 3
// (rows w elements apart), its plane index start + r*w + 2l + k. In the
// general scan's order (r, then k) a candidate replaces the maximum only
// when it is greater (ordered compare: ties and the two zeros keep the
// first), so the result is the scan's wherever the window holds no NaN;
// nan has bit l set for the windows that do, which the caller redoes.
// Reads x[r*w .. r*w + 2n] only (masked loads).
TEXT ·maxPool3s2AVX512(SB), NOSPLIT, $0-50
	MOVQ y+0(FP), DI
	MOVQ arg+8(FP), R8
	MOVQ x+16(FP), SI
	MOVQ w+24(FP), R9
	MOVQ start+32(FP), AX
	MOVQ n+40(FP), R10
	VMOVDQU32 poolEven<>(SB), Z30
	VMOVDQU32 poolOdd<>(SB), Z31
	// Z29: the index of candidate (0, 0) of each lane, start + 2l.
	VPBROADCASTD AX, Z29
	VPADDD Z30, Z29, Z29
	// Load masks: elements 0 .. 2n-1 for k = 0, 1 (K2 over the first
	// vector, K3 the second) and 2 .. 2n for k = 2 (K4, K5); K1 the n lanes.
	LEAQ (R10)(R10*1), R11 // 2n
	MOVQ R11, CX
	CMPQ CX, $16
	JLE  ka
	MOVQ $16, CX
ka:
	MOVQ $1, BX
	SHLQ CX, BX
	DECQ BX
	KMOVW BX, K2
	MOVQ R11, CX
	SUBQ $16, CX
	JGE  kb
	XORQ CX, CX
kb:
	MOVQ $1, BX
	SHLQ CX, BX
	DECQ BX
	KMOVW BX, K3
	LEAQ -1(R11), R12 // 2n-1
	MOVQ R12, CX
	CMPQ CX, $16
	JLE  kc
	MOVQ $16, CX
kc:
	MOVQ $1, BX
	SHLQ CX, BX
	DECQ BX
	KMOVW BX, K4
	MOVQ R12, CX
	SUBQ $16, CX
	JGE  kd
	XORQ CX, CX
kd:
	MOVQ $1, BX
	SHLQ CX, BX
	DECQ BX
	KMOVW BX, K5
	MOVQ R10, CX
	MOVQ $1, BX
	SHLQ CX, BX
	DECQ BX
	KMOVW BX, K1
	KXORW K7, K7, K7 // lanes that met a NaN
	SHLQ $2, R9      // row bytes
	XORQ DX, DX      // r*w, the index offset of the row
	MOVQ $3, R13
row:
	VMOVUPS.Z (SI), K2, Z0
	VMOVUPS.Z 64(SI), K3, Z1
	VMOVUPS.Z 8(SI), K4, Z2
	VMOVUPS.Z 72(SI), K5, Z3
	VMOVAPS Z0, Z4
	VPERMT2PS Z1, Z30, Z4 // k = 0
	VMOVAPS Z0, Z5
	VPERMT2PS Z1, Z31, Z5 // k = 1
	VMOVAPS Z2, Z6
	VPERMT2PS Z3, Z30, Z6 // k = 2
	VCMPPS $3, Z4, Z4, K6
	KORW K6, K7, K7
	VCMPPS $3, Z5, Z5, K6
	KORW K6, K7, K7
	VCMPPS $3, Z6, Z6, K6
	KORW K6, K7, K7
	VPBROADCASTD DX, Z7
	VPADDD Z29, Z7, Z7 // index of candidate (r, 0)
	CMPQ R13, $3
	JNE  cand0
	// The first row's first candidate starts the maximum.
	VMOVAPS Z4, Z8
	VMOVDQA32 Z7, Z9
	JMP  cand1
cand0:
	VCMPPS $0x1e, Z8, Z4, K6 // candidate > maximum, ordered
	VMOVAPS Z4, K6, Z8
	VMOVDQA32 Z7, K6, Z9
cand1:
	MOVL $1, BX
	VPBROADCASTD BX, Z10
	VPADDD Z10, Z7, Z7
	VCMPPS $0x1e, Z8, Z5, K6
	VMOVAPS Z5, K6, Z8
	VMOVDQA32 Z7, K6, Z9
	VPADDD Z10, Z7, Z7
	VCMPPS $0x1e, Z8, Z6, K6
	VMOVAPS Z6, K6, Z8
	VMOVDQA32 Z7, K6, Z9
	ADDQ R9, SI
	ADDQ w+24(FP), DX
	DECQ R13
	JNZ  row
	VMOVUPS Z8, K1, (DI)
	VMOVDQU32 Z9, K1, (R8)
	KANDW K1, K7, K7
	KMOVW K7, AX
	MOVW AX, nan+48(FP)
	VZEROUPPER
	RET
