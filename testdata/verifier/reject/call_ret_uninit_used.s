# type: xdp
# expect: reject
# error: R0 !read_ok
call f
r0 += 1
exit
f:
exit
