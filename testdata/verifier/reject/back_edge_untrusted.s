# type: socket_filter
# mode: untrusted
# expect: reject
# error: back-edge from insn 2 to 1
r1 = 0
loop:
r1 += 1
if r1 < 10 goto loop
r0 = 0
exit
