# type: raw_tracepoint
# expect: reject
# error: misaligned stack access off 0+-12+0 size 8
r1 = 0
*(u64 *)(r10 -8) = r1
r1 = r10
r1 += -8
r2 = 4
r3 = 0
r4 = r10
r4 += -12
call bpf_strtol
r0 = 0
exit
