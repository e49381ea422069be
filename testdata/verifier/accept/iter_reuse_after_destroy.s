# type: xdp
# expect: accept
# a destroyed iterator's slot takes a new iterator; the value bpf_iter_num_next
# points to is read within the iterator's life
r1 = r10
r1 += -8
w2 = 0
w3 = 3
call bpf_iter_num_new#1
r1 = r10
r1 += -8
call bpf_iter_num_destroy#3
r1 = r10
r1 += -8
w2 = -5
w3 = 5
call bpf_iter_num_new#1
r1 = r10
r1 += -8
call bpf_iter_num_next#2
r6 = 0
if r0 == 0 goto out
r6 = *(u32 *)(r0 +0)
out:
r1 = r10
r1 += -8
call bpf_iter_num_destroy#3
r0 = r6
exit
