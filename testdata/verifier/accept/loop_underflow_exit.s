# type: xdp
# expect: accept
call bpf_get_prandom_u32
r1 = r0
loop:
if r1 > 10 goto out
r1 -= 1
goto loop
out:
r0 = 0
exit
