# type: xdp
# expect: accept
r2 = *(u32 *)(r1 +16)
r0 = 0
if r2 == 0 goto +1
r0 += 1
if r2 == 1 goto +1
r0 += 1
if r2 == 2 goto +1
r0 += 1
if r2 == 3 goto +1
r0 += 1
if r2 == 4 goto +1
r0 += 1
if r2 == 5 goto +1
r0 += 1
if r2 == 6 goto +1
r0 += 1
if r2 == 7 goto +1
r0 += 1
if r2 == 8 goto +1
r0 += 1
if r2 == 9 goto +1
r0 += 1
if r2 == 10 goto +1
r0 += 1
if r2 == 11 goto +1
r0 += 1
if r2 == 12 goto +1
r0 += 1
if r2 == 13 goto +1
r0 += 1
if r2 == 14 goto +1
r0 += 1
if r2 == 15 goto +1
r0 += 1
if r2 == 16 goto +1
r0 += 1
if r2 == 17 goto +1
r0 += 1
if r2 == 18 goto +1
r0 += 1
if r2 == 19 goto +1
r0 += 1
if r2 == 20 goto +1
r0 += 1
if r2 == 21 goto +1
r0 += 1
if r2 == 22 goto +1
r0 += 1
if r2 == 23 goto +1
r0 += 1
if r2 == 24 goto +1
r0 += 1
if r2 == 25 goto +1
r0 += 1
if r2 == 26 goto +1
r0 += 1
if r2 == 27 goto +1
r0 += 1
if r2 == 28 goto +1
r0 += 1
if r2 == 29 goto +1
r0 += 1
if r2 == 30 goto +1
r0 += 1
if r2 == 31 goto +1
r0 += 1
if r2 == 32 goto +1
r0 += 1
if r2 == 33 goto +1
r0 += 1
if r2 == 34 goto +1
r0 += 1
if r2 == 35 goto +1
r0 += 1
if r2 == 36 goto +1
r0 += 1
if r2 == 37 goto +1
r0 += 1
if r2 == 38 goto +1
r0 += 1
if r2 == 39 goto +1
r0 += 1
exit
