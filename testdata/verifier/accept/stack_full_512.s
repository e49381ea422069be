# type: xdp
# expect: accept
r0 = 0
*(u64 *)(r10 -512) = r0
exit
