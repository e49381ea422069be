# type: xdp
# expect: reject
# error: Unreleased reference id=1 alloc_insn=4
# an iterator created and never destroyed
r1 = r10
r1 += -8
w2 = 0
w3 = 10
call bpf_iter_num_new#1
r0 = 0
exit
