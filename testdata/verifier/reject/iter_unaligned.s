# type: xdp
# expect: reject
# error: cannot pass in iter at an offset=-12
# an iterator at a stack offset that is not a multiple of 8
r1 = r10
r1 += -12
w2 = 0
w3 = 10
call bpf_iter_num_new#1
r0 = 0
exit
