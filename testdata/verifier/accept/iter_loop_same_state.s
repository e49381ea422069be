# type: xdp
# expect: accept
# an iterator loop whose second and third iterations reach the body's
# branch target in equal states: only the iterator's depth tells them
# apart, which keeps the infinite-loop check quiet
r8 = 0
r1 = r10
r1 += -8
w2 = 0
w3 = 10
call bpf_iter_num_new#1
loop:
r1 = r10
r1 += -8
call bpf_iter_num_next#2
if r0 == 0 goto done
r8 = 1
r6 = *(u32 *)(r0 +0)
r7 = 1
r7 += 1
r7 = 1
r7 += 1
r7 = 1
r7 += 1
r7 = 1
r7 += 1
if r6 > 5 goto skip
r6 = 0
skip:
r6 = 0
goto loop
done:
r1 = r10
r1 += -8
call bpf_iter_num_destroy#3
r0 = r8
exit
