# type: xdp
# map: prog_array key=4 value=4 entries=4
# expect: reject
# error: R3 !read_ok
r2 = map[fd:0]
call bpf_tail_call
r0 = 0
exit
