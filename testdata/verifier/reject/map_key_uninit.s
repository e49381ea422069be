# type: socket_filter
# mode: untrusted
# map: hash key=4 value=8 entries=16
# expect: reject
# error: invalid read from stack R2 off=-4 size=4
r2 = r10
r2 += -4
r1 = map[fd:0]
call bpf_map_lookup_elem
r0 = 0
exit
