# r1-r5 are clobbered by calls
# type: xdp
# expect: reject
# error: R1 !read_ok
call bpf_ktime_get_ns
r0 = r1
exit
