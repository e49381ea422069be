# type: xdp
# map: hash key=4 value=8 entries=16
# expect: reject
# error: expected prog array map for tail call
r2 = map[fd:0]
r3 = 0
call bpf_tail_call
r0 = 0
exit
