# type: xdp
# btf: func_info
# expect: reject
# error: R2 invalid mem access 'scalar'
r1 = 10
r2 = subprog[cb]
r3 = 0
r4 = 0
call bpf_loop
r0 = 0
exit
cb:
r0 = *(u64 *)(r2 +0)
r0 = 0
exit
