# type: xdp
# expect: reject
# error: R4 !read_ok
if r4 > 0 goto +0
r0 = 0
exit
