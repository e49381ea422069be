# type: raw_tracepoint
# expect: reject
# error: R1 type=scalar expected=fp
r1 = 0
r2 = 8
r3 = 0
call bpf_probe_read_kernel
r0 = 0
exit
