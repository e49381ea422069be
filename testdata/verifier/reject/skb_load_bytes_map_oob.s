# type: sched_cls
# map: array key=4 value=8 entries=1
# expect: reject
# error: invalid access to map value, value_size=8 off=0 size=16
r3 = map[fd:0][0]+0
r2 = 0
r4 = 16
call bpf_skb_load_bytes
r0 = 0
exit
