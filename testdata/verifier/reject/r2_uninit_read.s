# read of an uninitialized register
# type: xdp
# expect: reject
# error: R2 !read_ok
r0 = r2
exit
