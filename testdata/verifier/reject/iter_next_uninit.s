# type: xdp
# expect: reject
# error: expected an initialized iter_num as arg #0
# bpf_iter_num_next on stack that never held an iterator
r1 = 0
*(u64 *)(r10 -8) = r1
r1 = r10
r1 += -8
call bpf_iter_num_next#2
r0 = 0
exit
