# type: xdp
# map: hash key=4 value=8 entries=16
# expect: reject
# error: cannot pass map_type 1 into func bpf_redirect_map#51
r1 = map[fd:0]
r2 = 0
r3 = 0
call bpf_redirect_map
exit
