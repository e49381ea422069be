# type: raw_tracepoint
# expect: reject
# error: invalid bpf_context access off=96 size=8
r0 = *(u64 *)(r1 +96)
exit
