# type: raw_tracepoint
# expect: reject
# error: R3 type=fp expected=map_value
r1 = r10
r1 += -16
r2 = 16
r3 = r10
r3 += -8
r4 = 0
r5 = 0
call bpf_snprintf
r0 = 0
exit
