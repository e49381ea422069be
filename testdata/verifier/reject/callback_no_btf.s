# type: xdp
# expect: reject
# error: missing btf func_info
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
