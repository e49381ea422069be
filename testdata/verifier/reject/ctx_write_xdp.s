# type: xdp
# expect: reject
# error: invalid bpf_context access off=0 size=4
r0 = 0
*(u32 *)(r1 +0) = r0
exit
