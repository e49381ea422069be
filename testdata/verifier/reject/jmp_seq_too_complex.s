# type: xdp
# expect: reject
# error: The sequence of 8193 jumps is too complex.
# Every iteration queues the other side of a random branch before going
# on: more than BPF_COMPLEXITY_LIMIT_JMP_SEQ (8192) states wait at once.
r6 = 0
loop:
call bpf_get_prandom_u32
if r0 == 0 goto skip
r7 = 1
skip:
r6 += 1
if r6 < 20000 goto loop
r0 = 0
exit
