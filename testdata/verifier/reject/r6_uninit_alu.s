# type: xdp
# expect: reject
# error: R6 !read_ok
r6 += 1
r0 = 0
exit
