# type: socket_filter
# mode: untrusted
# expect: reject
# error: R1 pointer arithmetic prohibited
r1 = -r1
r0 = 0
exit
