# type: raw_tracepoint
# expect: reject
# error: R2 min value is negative, either use unsigned or 'var &= const'
r6 = *(u64 *)(r1 +0)
if r6 s> 8 goto out
r1 = r10
r1 += -8
r2 = r6
call bpf_trace_printk
r0 = 0
exit
out:
r0 = 0
exit
