# type: xdp
# expect: reject
# error: combined stack size of 2 calls is 576. Too large
r0 = 0
*(u64 *)(r10 -512) = r0
call f
exit
f:
r0 = 0
*(u64 *)(r10 -64) = r0
exit
