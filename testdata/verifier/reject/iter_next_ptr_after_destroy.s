# type: xdp
# expect: reject
# error: R6 invalid mem access 'scalar'
# bpf_iter_num_next's pointer dies with the iterator
r1 = r10
r1 += -8
w2 = 0
w3 = 10
call bpf_iter_num_new#1
r1 = r10
r1 += -8
call bpf_iter_num_next#2
if r0 == 0 goto out
r6 = r0
r1 = r10
r1 += -8
call bpf_iter_num_destroy#3
r0 = *(u32 *)(r6 +0)
exit
out:
r1 = r10
r1 += -8
call bpf_iter_num_destroy#3
r0 = 0
exit
