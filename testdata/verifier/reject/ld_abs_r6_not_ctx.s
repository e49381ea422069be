# type: socket_filter
# expect: reject
# error: at the time of BPF_LD_ABS|IND R6 != pointer to skb
r6 = r10
r0 = *(u8 *)skb[0]
exit
