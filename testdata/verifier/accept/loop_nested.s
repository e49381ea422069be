# type: xdp
# expect: accept
r1 = 0
r3 = 0
outer:
r2 = 0
inner:
r3 += 1
r2 += 1
if r2 < 4 goto inner
r1 += 1
if r1 < 4 goto outer
r0 = r3
exit
