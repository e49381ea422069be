# type: xdp
# expect: reject
# error: invalid read from stack R10 off=-600 size=8
r0 = *(u64 *)(r10 -600)
exit
