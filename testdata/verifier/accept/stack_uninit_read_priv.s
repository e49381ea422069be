# type: xdp
# expect: accept
r0 = *(u64 *)(r10 -8)
exit
