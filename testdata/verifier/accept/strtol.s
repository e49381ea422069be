# type: raw_tracepoint
# expect: accept
r1 = 0x3432
*(u64 *)(r10 -8) = r1
r1 = r10
r1 += -8
r2 = 2
r3 = 0
r4 = r10
r4 += -16
call bpf_strtol
r0 = *(u64 *)(r10 -16)
exit
