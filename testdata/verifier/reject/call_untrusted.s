# type: socket_filter
# mode: untrusted
# expect: reject
# error: loading/calling other bpf or kernel functions are allowed for CAP_BPF and CAP_SYS_ADMIN
call f
exit
f:
r0 = 0
exit
