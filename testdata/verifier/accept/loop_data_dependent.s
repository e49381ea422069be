# type: xdp
# expect: accept
r6 = *(u32 *)(r1 +16)
r6 &= 31
r1 = 0
loop:
if r1 >= r6 goto out
r1 += 1
goto loop
out:
r0 = 0
exit
