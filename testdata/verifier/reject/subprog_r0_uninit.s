# type: xdp
# expect: reject
# error: R0 !read_ok
call f
exit
f:
exit
