# type: xdp
# btf: func_info
# expect: reject
# error: R1 invalid mem access 'scalar'
# bpf_loop(2): each iteration sets one of three fields of the caller's
# struct to 42 depending on a random number. a == 42 && b == 42 && c == 7
# needs two iterations taking different branches; the fault behind it must
# be found: states of the call after different numbers of iterations must
# not prune each other (callback_depth is compared).
r1 = 7
*(u64 *)(r10 -24) = r1
*(u64 *)(r10 -16) = r1
*(u64 *)(r10 -8) = r1
r1 = 2
r2 = subprog[cb]
r3 = r10
r3 += -24
r4 = 0
call bpf_loop
r1 = *(u64 *)(r10 -24)
if r1 != 42 goto ok
r1 = *(u64 *)(r10 -16)
if r1 != 42 goto ok
r1 = *(u64 *)(r10 -8)
if r1 != 7 goto ok
r1 = 0
r0 = *(u64 *)(r1 +0)
ok:
r0 = 0
exit
cb:
r6 = r2
call bpf_get_prandom_u32
if r0 == 1 goto set_a
if r0 == 2 goto set_b
r1 = 42
*(u64 *)(r6 +16) = r1
goto done
set_a:
r1 = 42
*(u64 *)(r6 +0) = r1
goto done
set_b:
r1 = 42
*(u64 *)(r6 +8) = r1
done:
r0 = 0
exit
