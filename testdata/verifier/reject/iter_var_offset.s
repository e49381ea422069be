# type: xdp
# expect: reject
# error: iter has to be at a constant offset
# an iterator at a variable stack offset
r2 = *(u32 *)(r1 +12)
r2 &= 8
r1 = r10
r1 += -16
r1 += r2
w2 = 0
w3 = 10
call bpf_iter_num_new#1
r0 = 0
exit
