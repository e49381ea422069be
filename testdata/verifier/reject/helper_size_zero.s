# type: raw_tracepoint
# expect: reject
# error: R2 invalid zero-sized read
r1 = r10
r1 += -8
r2 = 0
call bpf_trace_printk
r0 = 0
exit
