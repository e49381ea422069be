# type: xdp
# expect: reject
# error: R1 type=fp expected=ctx
r1 = r10
r2 = 0
call bpf_xdp_adjust_head
r0 = 0
exit
