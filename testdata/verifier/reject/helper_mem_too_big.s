# type: raw_tracepoint
# expect: reject
# error: invalid read from stack R1 off=-8 size=16
r1 = 0
*(u64 *)(r10 -8) = r1
r1 = r10
r1 += -8
r2 = 16
call bpf_trace_printk
r0 = 0
exit
