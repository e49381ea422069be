# type: xdp
# expect: accept
r1 = 0
loop:
may_goto out
r1 += 1
if r1 < 1000 goto loop
out:
r0 = 0
exit
