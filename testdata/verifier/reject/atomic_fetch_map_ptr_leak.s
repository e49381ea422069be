# type: socket_filter
# mode: untrusted
# map: hash key=4 value=8 entries=16
# expect: reject
# error: R1 leaks addr into mem
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[fd:0]
call bpf_map_lookup_elem
if r0 == 0 goto out
r1 = r10
r1 = atomic64_fetch_add((u64 *)(r0 +0), r1)
out:
r0 = 0
exit
