# type: xdp
# expect: reject
# error: invalid write to stack R1 off=-8 size=16
r1 = r10
r1 += -8
r2 = 16
r3 = 0
call bpf_probe_read_kernel
r0 = 0
exit
