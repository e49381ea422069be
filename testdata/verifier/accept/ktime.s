# type: xdp
# expect: accept
call bpf_ktime_get_ns
exit
