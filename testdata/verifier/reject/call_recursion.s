# type: xdp
# expect: reject
# error: the call stack of 8 frames is too deep !
# A function that calls itself, five times on the explored path: the
# verification succeeds (the kernel's CFG walk does not refuse recursion
# for root), then check_max_stack_depth follows the call instructions
# around the cycle to the eighth frame.
r1 = 5
call f
exit
f:
if r1 == 0 goto out
r1 -= 1
call f
out:
r0 = 0
exit
