//go:build amd64 && !purego

#include "textflag.h"

// func copyRowsAVX512(dst *float32, ldd int, src *float32, lds int, rows, width int)
// For r < rows, i < width: dst[r*ldd+i] = src[r*lds+i]. rows, width >= 1.
TEXT ·copyRowsAVX512(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ ldd+8(FP), R8
	MOVQ src+16(FP), SI
	MOVQ lds+24(FP), R9
	MOVQ rows+32(FP), R10
	MOVQ width+40(FP), R11
	SHLQ $2, R8
	SHLQ $2, R9
	// K1 masks the last width%16 lanes (all 16 when width%16 == 0).
	MOVQ R11, CX
	ANDQ $15, CX
	MOVQ $1, AX
	SHLQ CX, AX
	DECQ AX
	TESTQ CX, CX
	JNZ  maskok
	MOVQ $0xffff, AX
maskok:
	KMOVW AX, K1
	// R12 = number of full blocks before the masked one.
	MOVQ R11, R12
	DECQ R12
	SHRQ $4, R12

rowloop:
	MOVQ DI, BX
	MOVQ SI, DX
	MOVQ R12, CX
	TESTQ CX, CX
	JZ   tail
blockloop:
	VMOVUPS (DX), Z0
	VMOVUPS Z0, (BX)
	ADDQ $64, DX
	ADDQ $64, BX
	DECQ CX
	JNZ  blockloop
tail:
	VMOVUPS.Z (DX), K1, Z0
	VMOVUPS   Z0, K1, (BX)
	ADDQ R8, DI
	ADDQ R9, SI
	DECQ R10
	JNZ  rowloop
	VZEROUPPER
	RET

// func addRowsAVX512(dst *float32, ldd int, src *float32, lds int, rows, width int)
// For r < rows, i < width: dst[r*ldd+i] += src[r*lds+i]. rows, width >= 1.
TEXT ·addRowsAVX512(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ ldd+8(FP), R8
	MOVQ src+16(FP), SI
	MOVQ lds+24(FP), R9
	MOVQ rows+32(FP), R10
	MOVQ width+40(FP), R11
	SHLQ $2, R8
	SHLQ $2, R9
	MOVQ R11, CX
	ANDQ $15, CX
	MOVQ $1, AX
	SHLQ CX, AX
	DECQ AX
	TESTQ CX, CX
	JNZ  maskok2
	MOVQ $0xffff, AX
maskok2:
	KMOVW AX, K1
	MOVQ R11, R12
	DECQ R12
	SHRQ $4, R12

rowloop2:
	MOVQ DI, BX
	MOVQ SI, DX
	MOVQ R12, CX
	TESTQ CX, CX
	JZ   tail2
blockloop2:
	VMOVUPS (DX), Z0
	VADDPS  (BX), Z0, Z0
	VMOVUPS Z0, (BX)
	ADDQ $64, DX
	ADDQ $64, BX
	DECQ CX
	JNZ  blockloop2
tail2:
	VMOVUPS.Z (DX), K1, Z0
	VMOVUPS.Z (BX), K1, Z1
	VADDPS    Z1, Z0, Z0
	VMOVUPS   Z0, K1, (BX)
	ADDQ R8, DI
	ADDQ R9, SI
	DECQ R10
	JNZ  rowloop2
	VZEROUPPER
	RET
