//go:build amd64 && !purego

#include "textflag.h"

// sigmoid32 (vecmath.go) on 16 or 8 lanes: the same operations in the same
// order, so the results are bitwise those of the Go loop.

// Each constant repeated in 8 lanes (32 bytes), so that AVX2 code can use
// it as a memory operand and AVX-512 code can broadcast it.
// 0: expMin
DATA sigConsts<>+0(SB)/4, $0xc2d00000
DATA sigConsts<>+4(SB)/4, $0xc2d00000
DATA sigConsts<>+8(SB)/4, $0xc2d00000
DATA sigConsts<>+12(SB)/4, $0xc2d00000
DATA sigConsts<>+16(SB)/4, $0xc2d00000
DATA sigConsts<>+20(SB)/4, $0xc2d00000
DATA sigConsts<>+24(SB)/4, $0xc2d00000
DATA sigConsts<>+28(SB)/4, $0xc2d00000
// 32: log2e
DATA sigConsts<>+32(SB)/4, $0x3fb8aa3b
DATA sigConsts<>+36(SB)/4, $0x3fb8aa3b
DATA sigConsts<>+40(SB)/4, $0x3fb8aa3b
DATA sigConsts<>+44(SB)/4, $0x3fb8aa3b
DATA sigConsts<>+48(SB)/4, $0x3fb8aa3b
DATA sigConsts<>+52(SB)/4, $0x3fb8aa3b
DATA sigConsts<>+56(SB)/4, $0x3fb8aa3b
DATA sigConsts<>+60(SB)/4, $0x3fb8aa3b
// 64: roundMag
DATA sigConsts<>+64(SB)/4, $0x4b400000
DATA sigConsts<>+68(SB)/4, $0x4b400000
DATA sigConsts<>+72(SB)/4, $0x4b400000
DATA sigConsts<>+76(SB)/4, $0x4b400000
DATA sigConsts<>+80(SB)/4, $0x4b400000
DATA sigConsts<>+84(SB)/4, $0x4b400000
DATA sigConsts<>+88(SB)/4, $0x4b400000
DATA sigConsts<>+92(SB)/4, $0x4b400000
// 96: ln2Hi
DATA sigConsts<>+96(SB)/4, $0x3f318000
DATA sigConsts<>+100(SB)/4, $0x3f318000
DATA sigConsts<>+104(SB)/4, $0x3f318000
DATA sigConsts<>+108(SB)/4, $0x3f318000
DATA sigConsts<>+112(SB)/4, $0x3f318000
DATA sigConsts<>+116(SB)/4, $0x3f318000
DATA sigConsts<>+120(SB)/4, $0x3f318000
DATA sigConsts<>+124(SB)/4, $0x3f318000
// 128: ln2Lo
DATA sigConsts<>+128(SB)/4, $0xb95e8083
DATA sigConsts<>+132(SB)/4, $0xb95e8083
DATA sigConsts<>+136(SB)/4, $0xb95e8083
DATA sigConsts<>+140(SB)/4, $0xb95e8083
DATA sigConsts<>+144(SB)/4, $0xb95e8083
DATA sigConsts<>+148(SB)/4, $0xb95e8083
DATA sigConsts<>+152(SB)/4, $0xb95e8083
DATA sigConsts<>+156(SB)/4, $0xb95e8083
// 160: c5
DATA sigConsts<>+160(SB)/4, $0x39506967
DATA sigConsts<>+164(SB)/4, $0x39506967
DATA sigConsts<>+168(SB)/4, $0x39506967
DATA sigConsts<>+172(SB)/4, $0x39506967
DATA sigConsts<>+176(SB)/4, $0x39506967
DATA sigConsts<>+180(SB)/4, $0x39506967
DATA sigConsts<>+184(SB)/4, $0x39506967
DATA sigConsts<>+188(SB)/4, $0x39506967
// 192: c4
DATA sigConsts<>+192(SB)/4, $0x3ab743ce
DATA sigConsts<>+196(SB)/4, $0x3ab743ce
DATA sigConsts<>+200(SB)/4, $0x3ab743ce
DATA sigConsts<>+204(SB)/4, $0x3ab743ce
DATA sigConsts<>+208(SB)/4, $0x3ab743ce
DATA sigConsts<>+212(SB)/4, $0x3ab743ce
DATA sigConsts<>+216(SB)/4, $0x3ab743ce
DATA sigConsts<>+220(SB)/4, $0x3ab743ce
// 224: c3
DATA sigConsts<>+224(SB)/4, $0x3c088908
DATA sigConsts<>+228(SB)/4, $0x3c088908
DATA sigConsts<>+232(SB)/4, $0x3c088908
DATA sigConsts<>+236(SB)/4, $0x3c088908
DATA sigConsts<>+240(SB)/4, $0x3c088908
DATA sigConsts<>+244(SB)/4, $0x3c088908
DATA sigConsts<>+248(SB)/4, $0x3c088908
DATA sigConsts<>+252(SB)/4, $0x3c088908
// 256: c2
DATA sigConsts<>+256(SB)/4, $0x3d2aa9c1
DATA sigConsts<>+260(SB)/4, $0x3d2aa9c1
DATA sigConsts<>+264(SB)/4, $0x3d2aa9c1
DATA sigConsts<>+268(SB)/4, $0x3d2aa9c1
DATA sigConsts<>+272(SB)/4, $0x3d2aa9c1
DATA sigConsts<>+276(SB)/4, $0x3d2aa9c1
DATA sigConsts<>+280(SB)/4, $0x3d2aa9c1
DATA sigConsts<>+284(SB)/4, $0x3d2aa9c1
// 288: c1
DATA sigConsts<>+288(SB)/4, $0x3e2aaaaa
DATA sigConsts<>+292(SB)/4, $0x3e2aaaaa
DATA sigConsts<>+296(SB)/4, $0x3e2aaaaa
DATA sigConsts<>+300(SB)/4, $0x3e2aaaaa
DATA sigConsts<>+304(SB)/4, $0x3e2aaaaa
DATA sigConsts<>+308(SB)/4, $0x3e2aaaaa
DATA sigConsts<>+312(SB)/4, $0x3e2aaaaa
DATA sigConsts<>+316(SB)/4, $0x3e2aaaaa
// 320: c0
DATA sigConsts<>+320(SB)/4, $0x3f000000
DATA sigConsts<>+324(SB)/4, $0x3f000000
DATA sigConsts<>+328(SB)/4, $0x3f000000
DATA sigConsts<>+332(SB)/4, $0x3f000000
DATA sigConsts<>+336(SB)/4, $0x3f000000
DATA sigConsts<>+340(SB)/4, $0x3f000000
DATA sigConsts<>+344(SB)/4, $0x3f000000
DATA sigConsts<>+348(SB)/4, $0x3f000000
// 352: one
DATA sigConsts<>+352(SB)/4, $0x3f800000
DATA sigConsts<>+356(SB)/4, $0x3f800000
DATA sigConsts<>+360(SB)/4, $0x3f800000
DATA sigConsts<>+364(SB)/4, $0x3f800000
DATA sigConsts<>+368(SB)/4, $0x3f800000
DATA sigConsts<>+372(SB)/4, $0x3f800000
DATA sigConsts<>+376(SB)/4, $0x3f800000
DATA sigConsts<>+380(SB)/4, $0x3f800000
// 384: i127
DATA sigConsts<>+384(SB)/4, $0x0000007f
DATA sigConsts<>+388(SB)/4, $0x0000007f
DATA sigConsts<>+392(SB)/4, $0x0000007f
DATA sigConsts<>+396(SB)/4, $0x0000007f
DATA sigConsts<>+400(SB)/4, $0x0000007f
DATA sigConsts<>+404(SB)/4, $0x0000007f
DATA sigConsts<>+408(SB)/4, $0x0000007f
DATA sigConsts<>+412(SB)/4, $0x0000007f
// 416: sign
DATA sigConsts<>+416(SB)/4, $0x80000000
DATA sigConsts<>+420(SB)/4, $0x80000000
DATA sigConsts<>+424(SB)/4, $0x80000000
DATA sigConsts<>+428(SB)/4, $0x80000000
DATA sigConsts<>+432(SB)/4, $0x80000000
DATA sigConsts<>+436(SB)/4, $0x80000000
DATA sigConsts<>+440(SB)/4, $0x80000000
DATA sigConsts<>+444(SB)/4, $0x80000000
GLOBL sigConsts<>(SB), RODATA|NOPTR, $448

// func sigmoidAVX512(dst, src *float32, n int)
// n is a positive multiple of 16.
TEXT ·sigmoidAVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS sigConsts<>+0(SB), Z16   // expMin
	VBROADCASTSS sigConsts<>+32(SB), Z17  // log2e
	VBROADCASTSS sigConsts<>+64(SB), Z18  // roundMag
	VBROADCASTSS sigConsts<>+96(SB), Z19  // ln2Hi
	VBROADCASTSS sigConsts<>+128(SB), Z20 // ln2Lo
	VBROADCASTSS sigConsts<>+160(SB), Z21 // c5
	VBROADCASTSS sigConsts<>+192(SB), Z22 // c4
	VBROADCASTSS sigConsts<>+224(SB), Z23 // c3
	VBROADCASTSS sigConsts<>+256(SB), Z24 // c2
	VBROADCASTSS sigConsts<>+288(SB), Z25 // c1
	VBROADCASTSS sigConsts<>+320(SB), Z26 // c0
	VBROADCASTSS sigConsts<>+352(SB), Z27 // 1
	VPBROADCASTD sigConsts<>+384(SB), Z28 // 127
	VPBROADCASTD sigConsts<>+416(SB), Z29 // sign bit
	VPXORD       Z30, Z30, Z30            // 0

loop512:
	VMOVUPS    (SI), Z0
	VPORD      Z29, Z0, Z1          // z = -|x|
	VMAXPS     Z1, Z16, Z1          // z = max(expMin, z); a NaN z is kept
	VMULPS     Z17, Z1, Z2          // t = z*log2e
	VADDPS     Z18, Z2, Z2
	VSUBPS     Z18, Z2, Z2          // nf = round(t)
	VMULPS     Z19, Z2, Z3
	VSUBPS     Z3, Z1, Z3           // r = z - nf*ln2Hi
	VMULPS     Z20, Z2, Z4
	VSUBPS     Z4, Z3, Z3           // r -= nf*ln2Lo
	VMULPS     Z3, Z3, Z4           // r*r
	VMULPS     Z21, Z3, Z5          // p = c5*r + c4, then p = p*r + c_i
	VADDPS     Z22, Z5, Z5
	VMULPS     Z3, Z5, Z5
	VADDPS     Z23, Z5, Z5
	VMULPS     Z3, Z5, Z5
	VADDPS     Z24, Z5, Z5
	VMULPS     Z3, Z5, Z5
	VADDPS     Z25, Z5, Z5
	VMULPS     Z3, Z5, Z5
	VADDPS     Z26, Z5, Z5
	VMULPS     Z4, Z5, Z5           // p = p*r*r + r
	VADDPS     Z3, Z5, Z5
	VADDPS     Z27, Z5, Z5          // p += 1
	VCVTTPS2DQ Z2, Z6               // n
	VPSRAD     $1, Z6, Z7           // n1 = n >> 1
	VPSUBD     Z7, Z6, Z6           // n2 = n - n1
	VPADDD     Z28, Z7, Z7
	VPSLLD     $23, Z7, Z7          // 2^n1
	VPADDD     Z28, Z6, Z6
	VPSLLD     $23, Z6, Z6          // 2^n2
	VMULPS     Z7, Z5, Z5
	VMULPS     Z6, Z5, Z5           // e = e^-|x|
	VADDPS     Z27, Z5, Z8          // 1 + e
	VCMPPS     $0x1d, Z30, Z0, K1   // x >= 0
	VMOVAPS    Z27, K1, Z5          // numerator: 1 where x >= 0, else e
	VDIVPS     Z8, Z5, Z5
	VMOVUPS    Z5, (DI)
	ADDQ       $64, SI
	ADDQ       $64, DI
	SUBQ       $16, CX
	JNZ        loop512
	VZEROUPPER
	RET

// func sigmoidAVX2(dst, src *float32, n int)
// n is a positive multiple of 8.
TEXT ·sigmoidAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	VMOVUPS sigConsts<>+0(SB), Y10   // expMin
	VMOVUPS sigConsts<>+352(SB), Y11 // 1
	VXORPS  Y12, Y12, Y12            // 0
	VMOVUPS sigConsts<>+384(SB), Y13 // 127
	VMOVUPS sigConsts<>+416(SB), Y14 // sign bit

loop256:
	VMOVUPS    (SI), Y0
	VORPS      Y14, Y0, Y1                 // z = -|x|
	VMAXPS     Y1, Y10, Y1                 // z = max(expMin, z); a NaN z is kept
	VMULPS     sigConsts<>+32(SB), Y1, Y2  // t = z*log2e
	VADDPS     sigConsts<>+64(SB), Y2, Y2
	VSUBPS     sigConsts<>+64(SB), Y2, Y2  // nf = round(t)
	VMULPS     sigConsts<>+96(SB), Y2, Y3
	VSUBPS     Y3, Y1, Y3                  // r = z - nf*ln2Hi
	VMULPS     sigConsts<>+128(SB), Y2, Y4
	VSUBPS     Y4, Y3, Y3                  // r -= nf*ln2Lo
	VMULPS     Y3, Y3, Y4                  // r*r
	VMULPS     sigConsts<>+160(SB), Y3, Y5
	VADDPS     sigConsts<>+192(SB), Y5, Y5
	VMULPS     Y3, Y5, Y5
	VADDPS     sigConsts<>+224(SB), Y5, Y5
	VMULPS     Y3, Y5, Y5
	VADDPS     sigConsts<>+256(SB), Y5, Y5
	VMULPS     Y3, Y5, Y5
	VADDPS     sigConsts<>+288(SB), Y5, Y5
	VMULPS     Y3, Y5, Y5
	VADDPS     sigConsts<>+320(SB), Y5, Y5
	VMULPS     Y4, Y5, Y5
	VADDPS     Y3, Y5, Y5
	VADDPS     Y11, Y5, Y5                 // p
	VCVTTPS2DQ Y2, Y6                      // n
	VPSRAD     $1, Y6, Y7                  // n1
	VPSUBD     Y7, Y6, Y6                  // n2
	VPADDD     Y13, Y7, Y7
	VPSLLD     $23, Y7, Y7
	VPADDD     Y13, Y6, Y6
	VPSLLD     $23, Y6, Y6
	VMULPS     Y7, Y5, Y5
	VMULPS     Y6, Y5, Y5                  // e
	VADDPS     Y11, Y5, Y8                 // 1 + e
	VCMPPS     $0x1d, Y12, Y0, Y9          // x >= 0
	VBLENDVPS  Y9, Y11, Y5, Y5             // numerator
	VDIVPS     Y8, Y5, Y5
	VMOVUPS    Y5, (DI)
	ADDQ       $32, SI
	ADDQ       $32, DI
	SUBQ       $8, CX
	JNZ        loop256
	VZEROUPPER
	RET
