# type: xdp
# map: array key=4 value=8 entries=1 flags=0x80
# expect: reject
# error: write into map forbidden
r1 = map[fd:0][0]+0
r2 = 8
r3 = 0
call bpf_probe_read_kernel
r0 = 0
exit
