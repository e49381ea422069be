# Fold the memory r1 points to (r2 bytes) into a 16-bit ones' complement
# checksum, the way the Internet checksum is computed. Run it with
#   ebpfvm run --raw --unverified --mem FILE testdata/samples/checksum.bin
# It walks its context with a variable offset, which the verifier refuses
# for a context (as the kernel's does), so it runs unverified, checked.
	r0 = 0
	r3 = 0
loop:
	if r3 >= r2 goto fold
	r4 = r1
	r4 += r3
	r5 = *(u8 *)(r4 +0)
	r5 <<= 8
	r3 += 1
	if r3 >= r2 goto add
	r4 = *(u8 *)(r4 +1)
	r5 |= r4
	r3 += 1
add:
	r0 += r5
	goto loop
fold:
	r1 = r0
	r1 >>= 16
	r0 &= 0xffff
	r0 += r1
	r1 = r0
	r1 >>= 16
	r0 += r1
	r0 &= 0xffff
	r0 ^= 0xffff
	exit
