# type: xdp
# expect: reject
# error: R2 !read_ok
r1 = 1
call f
exit
f:
r0 = r2
exit
