# type: xdp
# expect: reject
# error: invalid bpf_context access off=4 size=2
r0 = *(u16 *)(r1 +4)
exit
