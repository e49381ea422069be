# type: xdp
# expect: reject
# error: dereference of modified ctx ptr R1 off=8 disallowed
r1 += 8
r2 = 0
call bpf_xdp_adjust_head
r0 = 0
exit
