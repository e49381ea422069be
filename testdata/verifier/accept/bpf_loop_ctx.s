# type: xdp
# btf: func_info
# expect: accept
r1 = 0
*(u64 *)(r10 -8) = r1
r1 = 10
r2 = subprog[cb]
r3 = r10
r3 += -8
r4 = 0
call bpf_loop
r0 = 0
exit
cb:
r1 = *(u64 *)(r2 +0)
r0 = 0
exit
