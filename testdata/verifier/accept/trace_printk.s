# type: raw_tracepoint
# expect: accept
r1 = 0x0a6968
*(u64 *)(r10 -8) = r1
r1 = r10
r1 += -8
r2 = 8
call bpf_trace_printk
r0 = 0
exit
