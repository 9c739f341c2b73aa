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

// The lane indexes 0, 2, ..., 30: VPERMT2PS picks the even elements of two
// vectors.
DATA evenLanes<>+0(SB)/8, $0x0000000200000000
DATA evenLanes<>+8(SB)/8, $0x0000000600000004
DATA evenLanes<>+16(SB)/8, $0x0000000a00000008
DATA evenLanes<>+24(SB)/8, $0x0000000e0000000c
DATA evenLanes<>+32(SB)/8, $0x0000001200000010
DATA evenLanes<>+40(SB)/8, $0x0000001600000014
DATA evenLanes<>+48(SB)/8, $0x0000001a00000018
DATA evenLanes<>+56(SB)/8, $0x0000001e0000001c
GLOBL evenLanes<>(SB), RODATA|NOPTR, $64

// The lane indexes 1, 3, ..., 31: the odd elements.
DATA oddLanes<>+0(SB)/8, $0x0000000300000001
DATA oddLanes<>+8(SB)/8, $0x0000000700000005
DATA oddLanes<>+16(SB)/8, $0x0000000b00000009
DATA oddLanes<>+24(SB)/8, $0x0000000f0000000d
DATA oddLanes<>+32(SB)/8, $0x0000001300000011
DATA oddLanes<>+40(SB)/8, $0x0000001700000015
DATA oddLanes<>+48(SB)/8, $0x0000001b00000019
DATA oddLanes<>+56(SB)/8, $0x0000001f0000001d
GLOBL oddLanes<>(SB), RODATA|NOPTR, $64

// func copyEvenAVX512(dst *float32, src *float32, n int)
// dst[i] = src[2*i] for i < n (n >= 1), reading src[0 .. 2n-2] only: 32
// elements a block, the even ones picked by VPERMT2PS; the last block
// (1 to 16 results) with masked loads and store.
TEXT ·copyEvenAVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	VMOVDQU32 evenLanes<>(SB), Z31
	CMPQ CX, $16
	JLE  last
block:
	VMOVUPS (SI), Z0
	VMOVUPS 64(SI), Z1
	VPERMT2PS Z1, Z31, Z0
	VMOVUPS Z0, (DI)
	ADDQ $128, SI
	ADDQ $64, DI
	SUBQ $16, CX
	CMPQ CX, $16
	JG   block
last:
	// r = CX results need 2r-1 elements: min(16, 2r-1) from the first
	// vector, the rest from the second. (Shift counts go through CX.)
	MOVQ CX, R8
	LEAQ -1(R8)(R8*1), DX
	MOVQ DX, CX
	CMPQ CX, $16
	JLE  lo
	MOVQ $16, CX
lo:
	SUBQ CX, DX
	MOVQ $1, AX
	SHLQ CX, AX
	DECQ AX
	KMOVW AX, K1
	MOVQ DX, CX
	MOVQ $1, AX
	SHLQ CX, AX
	DECQ AX
	KMOVW AX, K2
	MOVQ R8, CX
	MOVQ $1, AX
	SHLQ CX, AX
	DECQ AX
	KMOVW AX, K3
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS.Z 64(SI), K2, Z1
	VPERMT2PS Z1, Z31, Z0
	VMOVUPS Z0, K3, (DI)
	VZEROUPPER
	RET

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
	VMOVDQU32 evenLanes<>(SB), Z30
	VMOVDQU32 oddLanes<>(SB), Z31
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

// The lane indexes 0, 0, 1, 1, ..., 7, 7 and 8, 8, ..., 15, 15: each of
// a vector's elements twice, from its low and its high half.
DATA dupLo<>+0(SB)/8, $0x0000000000000000
DATA dupLo<>+8(SB)/8, $0x0000000100000001
DATA dupLo<>+16(SB)/8, $0x0000000200000002
DATA dupLo<>+24(SB)/8, $0x0000000300000003
DATA dupLo<>+32(SB)/8, $0x0000000400000004
DATA dupLo<>+40(SB)/8, $0x0000000500000005
DATA dupLo<>+48(SB)/8, $0x0000000600000006
DATA dupLo<>+56(SB)/8, $0x0000000700000007
GLOBL dupLo<>(SB), RODATA|NOPTR, $64
DATA dupHi<>+0(SB)/8, $0x0000000800000008
DATA dupHi<>+8(SB)/8, $0x0000000900000009
DATA dupHi<>+16(SB)/8, $0x0000000a0000000a
DATA dupHi<>+24(SB)/8, $0x0000000b0000000b
DATA dupHi<>+32(SB)/8, $0x0000000c0000000c
DATA dupHi<>+40(SB)/8, $0x0000000d0000000d
DATA dupHi<>+48(SB)/8, $0x0000000e0000000e
DATA dupHi<>+56(SB)/8, $0x0000000f0000000f
GLOBL dupHi<>(SB), RODATA|NOPTR, $64

// pool2Masks sets, for rows of ow >= 1 outputs, R10 to the number of full
// 16-output blocks before the last one, K1 and K2 to the lanes of the last
// block's 2r inputs (r = 1 to 16 outputs) in its first and second vector,
// and K3 to its r outputs. It uses AX, CX, DX.
#define POOL2MASKS(ow) \
	MOVQ ow, R10; \
	DECQ R10; \
	SHRQ $4, R10; \
	MOVQ ow, DX; \
	MOVQ R10, AX; \
	SHLQ $4, AX; \
	SUBQ AX, DX; \
	MOVQ DX, CX; \
	MOVQ $1, AX; \
	SHLQ CX, AX; \
	DECQ AX; \
	KMOVW AX, K3; \
	LEAQ (DX)(DX*1), DX; \
	MOVQ DX, CX; \
	CMPQ CX, $16; \
	JLE  2(PC); \
	MOVQ $16, CX; \
	SUBQ CX, DX; \
	MOVQ $1, AX; \
	SHLQ CX, AX; \
	DECQ AX; \
	KMOVW AX, K1; \
	MOVQ DX, CX; \
	MOVQ $1, AX; \
	SHLQ CX, AX; \
	DECQ AX; \
	KMOVW AX, K2

// func avgPool2AVX512(y *float32, x *float32, w, oh, ow int, inv float32)
//
// 2 x 2, stride-2 average pooling of the plane x (rows w apart) into y
// [oh, ow]: y[i*ow+j] = (((t[2j] + t[2j+1]) + b[2j]) + b[2j+1]) * inv with
// t and b rows 2i and 2i+1 of x, the Go loop's operations in its order.
// Reads only x's 2*ow first elements of its first 2*oh rows.
TEXT ·avgPool2AVX512(SB), NOSPLIT, $0-44
	MOVQ y+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ w+16(FP), R8
	SHLQ $2, R8
	MOVQ oh+24(FP), R9
	MOVQ ow+32(FP), BX
	VBROADCASTSS inv+40(FP), Z29
	VMOVDQU32 evenLanes<>(SB), Z31
	VMOVDQU32 oddLanes<>(SB), Z30
	POOL2MASKS(BX)
avgrow:
	MOVQ SI, R11
	LEAQ (SI)(R8*1), R12
	MOVQ DI, R13
	MOVQ R10, R14
	TESTQ R14, R14
	JZ   avglast
avgblock:
	VMOVUPS (R11), Z0
	VMOVUPS 64(R11), Z1
	VMOVAPS Z0, Z2
	VPERMT2PS Z1, Z31, Z0
	VPERMT2PS Z1, Z30, Z2
	VMOVUPS (R12), Z3
	VMOVUPS 64(R12), Z4
	VMOVAPS Z3, Z5
	VPERMT2PS Z4, Z31, Z3
	VPERMT2PS Z4, Z30, Z5
	VADDPS Z2, Z0, Z0
	VADDPS Z3, Z0, Z0
	VADDPS Z5, Z0, Z0
	VMULPS Z29, Z0, Z0
	VMOVUPS Z0, (R13)
	ADDQ $128, R11
	ADDQ $128, R12
	ADDQ $64, R13
	DECQ R14
	JNZ  avgblock
avglast:
	VMOVUPS.Z (R11), K1, Z0
	VMOVUPS.Z 64(R11), K2, Z1
	VMOVAPS Z0, Z2
	VPERMT2PS Z1, Z31, Z0
	VPERMT2PS Z1, Z30, Z2
	VMOVUPS.Z (R12), K1, Z3
	VMOVUPS.Z 64(R12), K2, Z4
	VMOVAPS Z3, Z5
	VPERMT2PS Z4, Z31, Z3
	VPERMT2PS Z4, Z30, Z5
	VADDPS Z2, Z0, Z0
	VADDPS Z3, Z0, Z0
	VADDPS Z5, Z0, Z0
	VMULPS Z29, Z0, Z0
	VMOVUPS Z0, K3, (R13)
	LEAQ (SI)(R8*2), SI
	LEAQ (DI)(BX*4), DI
	DECQ R9
	JNZ  avgrow
	VZEROUPPER
	RET

// func avgPool2BackAVX512(gx *float32, gy *float32, w, oh, ow int, inv float32)
//
// The gradient of avgPool2AVX512: v = gy[i*ow+j] * inv is written to the
// window's four elements of gx (rows w apart), t[2j], t[2j+1], b[2j],
// b[2j+1]; nothing else of gx is written.
TEXT ·avgPool2BackAVX512(SB), NOSPLIT, $0-44
	MOVQ gx+0(FP), DI
	MOVQ gy+8(FP), SI
	MOVQ w+16(FP), R8
	SHLQ $2, R8
	MOVQ oh+24(FP), R9
	MOVQ ow+32(FP), BX
	VBROADCASTSS inv+40(FP), Z29
	VMOVDQU32 dupLo<>(SB), Z31
	VMOVDQU32 dupHi<>(SB), Z30
	POOL2MASKS(BX)
backrow:
	MOVQ DI, R11
	LEAQ (DI)(R8*1), R12
	MOVQ SI, R13
	MOVQ R10, R14
	TESTQ R14, R14
	JZ   backlast
backblock:
	VMULPS (R13), Z29, Z0
	VPERMPS Z0, Z31, Z1
	VPERMPS Z0, Z30, Z2
	VMOVUPS Z1, (R11)
	VMOVUPS Z2, 64(R11)
	VMOVUPS Z1, (R12)
	VMOVUPS Z2, 64(R12)
	ADDQ $128, R11
	ADDQ $128, R12
	ADDQ $64, R13
	DECQ R14
	JNZ  backblock
backlast:
	VMOVUPS.Z (R13), K3, Z0
	VMULPS Z29, Z0, Z0
	VPERMPS Z0, Z31, Z1
	VPERMPS Z0, Z30, Z2
	VMOVUPS Z1, K1, (R11)
	VMOVUPS Z2, K2, 64(R11)
	VMOVUPS Z1, K1, (R12)
	VMOVUPS Z2, K2, 64(R12)
	LEAQ (DI)(R8*2), DI
	LEAQ (SI)(BX*4), SI
	DECQ R9
	JNZ  backrow
	VZEROUPPER
	RET

// func sumLanes8x4AVX(s *float32, stride, nblk int, out *[32]float32)
//
// The eight chains of sumLanes8 for four planes at once: plane q starts at
// s[q*stride]; lane i of plane q's chain adds element b+i of each block b
// of 8 in order, for nblk >= 1 blocks; out[8q+i] is the chain's sum.
TEXT ·sumLanes8x4AVX(SB), NOSPLIT, $0-32
	MOVQ s+0(FP), SI
	MOVQ stride+8(FP), R8
	SHLQ $2, R8
	MOVQ nblk+16(FP), CX
	MOVQ out+24(FP), DI
	LEAQ (SI)(R8*1), R9
	LEAQ (SI)(R8*2), R10
	LEAQ (R9)(R8*2), R11
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
sum8loop:
	VADDPS (SI), Y0, Y0
	VADDPS (R9), Y1, Y1
	VADDPS (R10), Y2, Y2
	VADDPS (R11), Y3, Y3
	ADDQ $32, SI
	ADDQ $32, R9
	ADDQ $32, R10
	ADDQ $32, R11
	DECQ CX
	JNZ  sum8loop
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	VZEROUPPER
	RET
