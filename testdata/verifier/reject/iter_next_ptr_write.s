# type: xdp
# expect: reject
# error: R0 cannot write into rdonly_mem
# the value bpf_iter_num_next points to is read-only
r1 = r10
r1 += -8
w2 = 0
w3 = 10
call bpf_iter_num_new#1
r1 = r10
r1 += -8
call bpf_iter_num_next#2
if r0 == 0 goto out
*(u32 *)(r0 +0) = 1
out:
r1 = r10
r1 += -8
call bpf_iter_num_destroy#3
r0 = 0
exit
