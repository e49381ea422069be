# type: xdp
# expect: reject
# error: invalid read from stack off -8+0 size 8
# the iterator's bytes cannot be read as data
r1 = r10
r1 += -8
w2 = 0
w3 = 10
call bpf_iter_num_new#1
r6 = *(u64 *)(r10 -8)
r1 = r10
r1 += -8
call bpf_iter_num_destroy#3
r0 = r6
exit
