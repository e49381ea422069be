# type: xdp
# expect: reject
# error: R1 type=scalar expected=fp
r1 = 0
r2 = 8
r3 = 0
r4 = 0
r5 = 0
call bpf_csum_diff
r0 = 0
exit
