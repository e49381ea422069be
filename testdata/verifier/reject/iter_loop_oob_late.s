# type: xdp
# map: array key=4 value=16 entries=1
# expect: reject
# error: invalid access to map value, value_size=16 off=16 size=1
# an iterator loop walks a 16-byte map value with a counter that grows by
# 4 each iteration: the first iterations are safe, the fifth is not
r1 = 0
*(u32 *)(r10 -16) = r1
r1 = map[fd:0]
r2 = r10
r2 += -16
call bpf_map_lookup_elem
if r0 == 0 goto exit0
r7 = r0
r6 = 0
r1 = r10
r1 += -8
w2 = 0
w3 = 100
call bpf_iter_num_new#1
loop:
r1 = r10
r1 += -8
call bpf_iter_num_next#2
if r0 == 0 goto done
r1 = r7
r1 += r6
r2 = *(u8 *)(r1 +0)
r6 += 4
goto loop
done:
r1 = r10
r1 += -8
call bpf_iter_num_destroy#3
exit0:
r0 = 0
exit
