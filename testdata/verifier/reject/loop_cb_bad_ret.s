# type: xdp
# btf: func_info
# expect: reject
# error: At callback return the register R0 has smin=5 smax=5 should have been in [0, 1]
r1 = 10
r2 = subprog[cb]
r3 = 0
r4 = 0
call bpf_loop
r0 = 0
exit
cb:
r0 = 5
exit
