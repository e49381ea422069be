# type: socket_filter
# mode: untrusted
# map: hash key=4 value=8 entries=16
# expect: reject
# error: R0 leaks addr as return value
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[fd:0]
call bpf_map_lookup_elem
exit
