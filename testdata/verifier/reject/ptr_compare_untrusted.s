# type: socket_filter
# mode: untrusted
# expect: reject
# error: R2 pointer comparison prohibited
r0 = 0
r2 = r10
if r1 > r2 goto +0
exit
