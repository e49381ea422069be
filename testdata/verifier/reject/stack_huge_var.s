# type: xdp
# expect: reject
# error: math between fp pointer and register with unbounded min value is not allowed
call bpf_get_prandom_u32
r1 = r10
r0 <<= 32
r1 += r0
r0 = 0
exit
