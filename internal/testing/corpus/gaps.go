package corpus

// VMGaps lists the scenarios in which ebpfvm is known to differ from the
// kernel, and why. TestCorpusAgainstKernel logs their differences and
// skips them instead of failing; once a scenario passes it says so, and
// its entry should go.
var VMGaps = map[string]string{}
