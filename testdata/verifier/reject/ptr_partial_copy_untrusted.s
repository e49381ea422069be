# type: socket_filter
# mode: untrusted
# expect: reject
# error: R10 partial copy of pointer
w0 = w10
exit
