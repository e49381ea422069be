# type: xdp
# map: hash key=4 value=8 entries=16
# expect: reject
# error: cannot pass map_type 1 into func bpf_perf_event_output#25
r2 = map[fd:0]
r3 = 0
r4 = 0
*(u64 *)(r10 -8) = r4
r4 = r10
r4 += -8
r5 = 8
call bpf_perf_event_output
r0 = 0
exit
