# type: xdp
# expect: reject
# error: expected uninitialized iter_num as arg #0
# bpf_iter_num_new on an iterator that is still active
r1 = r10
r1 += -8
w2 = 0
w3 = 10
call bpf_iter_num_new#1
r1 = r10
r1 += -8
w2 = 0
w3 = 5
call bpf_iter_num_new#1
r1 = r10
r1 += -8
call bpf_iter_num_destroy#3
r0 = 0
exit
