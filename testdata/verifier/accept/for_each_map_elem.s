# type: xdp
# map: hash key=4 value=8 entries=16
# btf: func_info
# expect: accept
r1 = map[fd:0]
r2 = subprog[cb]
r3 = 0
r4 = 0
call bpf_for_each_map_elem
r0 = 0
exit
cb:
r0 = *(u64 *)(r3 +0)
r0 = 0
exit
