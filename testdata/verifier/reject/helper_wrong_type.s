# type: xdp
# expect: reject
# error: program of this type cannot use helper bpf_skb_load_bytes#26
call bpf_skb_load_bytes
r0 = 0
exit
