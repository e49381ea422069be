# type: xdp
# expect: reject
# error: invalid read from stack R1 off=-16 size=32
r1 = 0
*(u64 *)(r10 -8) = r1
*(u64 *)(r10 -16) = r1
call bpf_get_prandom_u32
r7 = 8
if r0 > 100 goto big
r9 = 0
r9 = 1
r9 = 2
r9 = 3
r9 = 4
r9 = 5
r9 = 6
r9 = 7
r9 = 8
r9 = 9
goto join
big:
r7 = 32
join:
r1 = r10
r1 += -16
r2 = r7
r3 = 0
r4 = 0
r5 = 0
call bpf_csum_diff
r0 = 0
exit
