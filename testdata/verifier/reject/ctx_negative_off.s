# type: xdp
# expect: reject
# error: invalid bpf_context access off=-4 size=4
r0 = *(u32 *)(r1 -4)
exit
