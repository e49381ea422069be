# return without setting r0
# type: xdp
# expect: reject
# error: R0 !read_ok
exit
