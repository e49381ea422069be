package corpus

// Reasons for VMGaps, shared by the scenarios they affect.
const (
	gapVariables = "ebpfvm.NewCollection ignores spec.Variables: values set with VariableSpec.Set live in " +
		"VariableSpec.Value, and cilium/ebpf copies them into the data section maps at load " +
		"(MapSpec.updateDataSection, for .rodata, .data, .bss and custom sections alike)"
	gapXDPBytes = "ebpfvm lacks the helpers bpf_xdp_load_bytes (#189) and bpf_xdp_store_bytes (#190)"
)

// VMGaps lists the scenarios in which ebpfvm is known to differ from the
// kernel, and why. TestCorpusAgainstKernel logs their differences and
// skips them instead of failing; once a scenario passes it says so, and
// its entry should go.
var VMGaps = map[string]string{
	"ringbuf": gapXDPBytes + "; and a public ring buffer reader (ebpfvm.NewRingbufReader) to drain " +
		"the records with",
	"globals-configured":     gapVariables,
	"adjust-vlan-configured": gapVariables,
	"adjust-tail":            gapXDPBytes,
	"tc-pkt-type": "skb->pkt_type of a broadcast frame: BPF_PROG_TEST_RUN runs skb programs on the loopback " +
		"device, whose broadcast address is 00:00:00:00:00:00, so eth_type_trans makes a " +
		"ff:ff:ff:ff:ff:ff destination PACKET_MULTICAST (2), not PACKET_BROADCAST (1)",
}
