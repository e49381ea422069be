# type: xdp
# expect: reject
# error: R6 !read_ok
r1 = r10
call bpf_ktime_get_ns
r1 = 0
r2 = r6
call bpf_redirect
r0 = 0
exit
