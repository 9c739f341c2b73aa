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

// func col2imAccAVX512(dst *float32, ldd int, src *float32, lds int, k, oh, ow int, masks *uint16, segs int)
//
// One (c, ki) of col2im for stride 1, accumulating in registers: for each
// output row r < oh, the destination row dst[r*ldd : r*ldd+ow+k-1] is
// loaded once in segs 16-lane segments, the k rows of col for kj = 0..k-1
// (lds apart, row r at r*ow) are added in kj order, each shifted kj lanes
// right by a load from kj elements before it under a mask that keeps lanes
// [kj, kj+ow) (masked-out lanes are not read), and the row is stored once.
// masks holds, per segment, the segment's own mask and then one mask per
// kj. Every destination element receives its terms in the same order as
// with one addRows per kj, so the sums are the same; what changes is that
// no load waits on a masked store of an overlapping row.
TEXT ·col2imAccAVX512(SB), NOSPLIT, $0-72
	MOVQ dst+0(FP), DI
	MOVQ ldd+8(FP), R8
	SHLQ $2, R8
	MOVQ src+16(FP), SI
	MOVQ lds+24(FP), R9
	SHLQ $2, R9
	SUBQ $4, R9 // from row kj to row kj+1 of col, one element further left
	MOVQ k+32(FP), R10
	SHLQ $1, R10 // bytes of the k masks of a segment
	MOVQ oh+40(FP), R11
	MOVQ ow+48(FP), R12
	SHLQ $2, R12
	MOVQ masks+56(FP), R13
	MOVQ segs+64(FP), R14
	LEAQ 2(R10), AX
	IMULQ AX, R14
	ADDQ R13, R14 // end of the masks

crow:
	MOVQ R13, DX
	MOVQ DI, AX
	MOVQ SI, CX
cseg:
	KMOVW     (DX), K1
	VMOVUPS.Z (AX), K1, Z0
	ADDQ $2, DX
	LEAQ (DX)(R10*1), R15
	MOVQ CX, BX
ckj:
	KMOVW  (DX), K2
	VADDPS (BX), Z0, K2, Z0
	ADDQ R9, BX
	ADDQ $2, DX
	CMPQ DX, R15
	JNE  ckj
	VMOVUPS Z0, K1, (AX)
	ADDQ $64, AX
	ADDQ $64, CX
	CMPQ DX, R14
	JNE  cseg
	ADDQ R8, DI
	ADDQ R12, SI
	DECQ R11
	JNZ  crow
	VZEROUPPER
	RET
