# type: xdp
# btf: func_info
# expect: accept
r1 = 10
r2 = subprog[cb]
r3 = 0
r4 = 0
call bpf_loop
r0 = 0
exit
cb:
r0 = 0
exit
