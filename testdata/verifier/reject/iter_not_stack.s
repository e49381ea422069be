# type: xdp
# expect: reject
# error: arg#0 expected pointer to an iterator on stack
# the iterator must live on the stack, not in the context
w2 = 0
w3 = 10
call bpf_iter_num_new#1
r0 = 0
exit
