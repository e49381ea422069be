# type: xdp
# expect: reject
# error: invalid bpf_context access off=12 size=1
r0 = *(u8 *)(r1 +12)
exit
