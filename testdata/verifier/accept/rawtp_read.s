# type: raw_tracepoint
# expect: accept
r0 = *(u64 *)(r1 +8)
exit
