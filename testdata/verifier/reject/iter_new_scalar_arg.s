# type: xdp
# expect: reject
# error: R2 is not a scalar
# bpf_iter_num_new's bounds are ints: a pointer is refused
r1 = r10
r1 += -8
r2 = r10
w3 = 10
call bpf_iter_num_new#1
r0 = 0
exit
