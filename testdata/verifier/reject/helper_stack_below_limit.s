# type: xdp
# expect: reject
# error: invalid write to stack R1 off=-520 size=8
r1 = r10
r1 += -520
r2 = 8
r3 = 0
call bpf_probe_read_kernel
r0 = 0
exit
