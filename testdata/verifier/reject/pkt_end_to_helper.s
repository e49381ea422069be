# type: xdp
# expect: reject
# error: R1 type=pkt_end expected=fp
r2 = *(u32 *)(r1 +4)
r1 = r2
r2 = 4
r3 = 0
r4 = 0
r5 = 0
call bpf_csum_diff
r0 = 0
exit
