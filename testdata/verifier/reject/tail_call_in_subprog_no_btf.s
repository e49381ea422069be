# type: xdp
# map: prog_array key=4 value=4 entries=4
# expect: reject
# error: tail_call is not allowed in subprogs without BTF
r2 = 0
*(u64 *)(r10 -304) = r2
r6 = r1
call f
r0 = 0
exit
f:
r1 = r6
r2 = map[fd:0]
r3 = 0
call bpf_tail_call
r0 = 0
exit
