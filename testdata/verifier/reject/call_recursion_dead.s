# type: xdp
# expect: reject
# error: the call stack of 8 frames is too deep !
# The recursive call is dead code, never verified, but the kernel's
# check_max_stack_depth follows every call instruction.
r0 = 0
if r0 == 0 goto out
call f
out:
exit
f:
call f
r0 = 0
exit
