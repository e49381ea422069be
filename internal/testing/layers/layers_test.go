package layers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// module is the module path; rules name packages relative to it, "." being
// the root package.
const module = "github.com/ebpfvm/ebpfvm"

// A rule is a layer rule of docs/ARCHITECTURE.md: the packages From names
// may depend on, transitively and outside tests, only the module packages
// in Only (when Only is not nil) and on none in Never. A pattern is a
// package ("verifier", "." for the root) or a tree ("internal/engine/...").
type rule struct {
	Text string // the rule as ARCHITECTURE.md states it
	From string // pattern of the packages the rule constrains
	// Outside excludes a pattern from From ("" for none).
	Outside string
	Only    []string // patterns they may depend on; nil: no such limit
	Never   []string // patterns they may not depend on
	// Except are dependencies allowed despite Never: "from -> to" with
	// the reason.
	Except map[string]string
	// Tests extends the rule to the direct imports of the packages' tests
	// (_test.go files, in-package and external).
	Tests bool
	// Pending, when not empty, says why the code does not satisfy the rule
	// yet. A pending rule must still be broken (or its packages still
	// missing): once it holds, the test fails until Pending is removed.
	Pending string
}

// rules are the layer rules, in the order ARCHITECTURE.md lists them.
var rules = []rule{
	{Text: "isa is a leaf: it imports no package of the module", From: "isa", Only: []string{}},
	{Text: "internal/mem is a leaf", From: "internal/mem", Only: []string{}},
	{Text: "the verifier imports only isa", From: "verifier", Only: []string{"isa"}},
	{Text: "the loader imports only isa", From: "internal/loader", Only: []string{"isa"}},
	{Text: "maps import only internal/mem", From: "internal/maps", Only: []string{"internal/mem"}},
	{
		Text: "the runtime contract (internal/vm) imports only isa, internal/mem and the verifier (helper prototypes): no engine, no helper, no map, not the root",
		From: "internal/vm", Only: []string{"isa", "internal/mem", "verifier"},
	},
	{
		Text: "no engine imports the root or the helpers", From: "internal/engine/...",
		Never: []string{".", "internal/helpers/..."},
	},
	{Text: "an engine imports no other engine", From: "internal/engine/...", Never: []string{"internal/engine/..."}},
	{Text: "helpers never import an engine", From: "internal/helpers/...", Never: []string{"internal/engine/..."}},
	{
		Text: "helpers' tests import no engine either: they drive the engine interface (internal/testing/vmengines)", From: "internal/helpers/...",
		Never: []string{"internal/engine/..."}, Tests: true,
	},
	{
		Text: "the program-type code (internal/progtype) imports no engine and not the root, nor do its tests: it frames a run through vm.Env",
		From: "internal/progtype/...", Never: []string{"internal/engine/...", "."}, Tests: true,
	},
	{
		Text: "the fixup stage imports no engine: every engine compiles its one engine-neutral prepared program",
		From: "internal/fixup/...", Never: []string{"internal/engine/...", "."},
		Pending: "the fixup stage (issue 10, item 3) does not exist yet: map patching and helper binding still happen in the root's program.go",
	},
	{
		Text: "code outside internal/testing does not import the test oracles", From: "...", Outside: "internal/testing/...",
		Never: []string{"internal/testing/..."},
		Except: map[string]string{
			"cmd/ebpfvm -> internal/testing/conformance": "`ebpfvm conformance-plugin` runs bpf_conformance's programs with the suite's calling convention (its helpers, memory as the context), which internal/testing/conformance defines once for the plugin and the in-tree test",
		},
	},
}

// pkg is what the test reads of `go list -json`.
type pkg struct {
	ImportPath   string
	Imports      []string
	Deps         []string
	TestImports  []string
	XTestImports []string
}

// graph maps each module package (relative, "." for the root) to the
// module packages it depends on outside tests, directly or not.
type graph map[string][]string

// deps are a module's import graph: outside tests (transitive, and
// direct), and of the tests (direct).
type deps struct{ code, direct, tests graph }

// loadGraph runs `go list -json` over the module.
func loadGraph(t *testing.T) deps {
	t.Helper()
	out, err := exec.Command("go", "list", "-json", module+"/...").Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	g, dg, tg := graph{}, graph{}, graph{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		rel, _ := relative(p.ImportPath)
		g[rel] = inModule(p.Deps)
		dg[rel] = inModule(p.Imports)
		tg[rel] = inModule(append(p.TestImports, p.XTestImports...))
	}
	return deps{code: g, direct: dg, tests: tg}
}

// inModule returns the module's packages among paths, relative.
func inModule(paths []string) []string {
	var rels []string
	for _, p := range paths {
		if rel, ok := relative(p); ok && !slices.Contains(rels, rel) {
			rels = append(rels, rel)
		}
	}
	return rels
}

// relative returns path relative to the module ("." for the root) and
// whether it is in the module.
func relative(path string) (string, bool) {
	if path == module {
		return ".", true
	}
	rel, ok := strings.CutPrefix(path, module+"/")
	return rel, ok
}

// matches reports whether the relative package path p matches pattern.
func matches(pattern, p string) bool {
	if pattern == "..." {
		return true
	}
	if tree, ok := strings.CutSuffix(pattern, "/..."); ok {
		return p == tree || strings.HasPrefix(p, tree+"/")
	}
	return p == pattern
}

func matchesAny(patterns []string, p string) bool {
	return slices.ContainsFunc(patterns, func(pat string) bool { return matches(pat, p) })
}

// violations returns the dependencies of d that break r, and how many
// packages r constrains.
func (r rule) violations(d deps) (broken []string, subjects int) {
	g := d.code
	if r.Tests {
		g = graph{}
		for p, code := range d.code {
			g[p] = append(slices.Clone(code), d.tests[p]...)
		}
	}
	for _, from := range sortedKeys(g) {
		if !matches(r.From, from) || r.Outside != "" && matches(r.Outside, from) {
			continue
		}
		subjects++
		for _, to := range g[from] {
			edge := from + " -> " + to
			switch {
			case to == from:
			case r.Only != nil && !matchesAny(r.Only, to):
				broken = append(broken, edge+" (allowed: "+strings.Join(r.Only, ", ")+")")
			case matchesAny(r.Never, to):
				if _, ok := r.Except[edge]; !ok {
					broken = append(broken, edge)
				}
			}
		}
	}
	return broken, subjects
}

func sortedKeys(g graph) []string {
	keys := make([]string, 0, len(g))
	for k := range g {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TestLayerRules checks every rule against the module's import graph. A
// rule that names no existing package fails (a rename would otherwise make
// it vacuous) unless it is pending; a pending rule is logged with its
// reason and must still be broken.
func TestLayerRules(t *testing.T) {
	d := loadGraph(t)
	if len(d.code) < 10 {
		t.Fatalf("go list found %d packages of the module: %v", len(d.code), sortedKeys(d.code))
	}
	for _, r := range rules {
		broken, subjects := r.violations(d)
		for edge := range r.Except {
			from, to, _ := strings.Cut(edge, " -> ")
			if !slices.Contains(d.code[from], to) && !slices.Contains(d.tests[from], to) {
				t.Errorf("rule %q: exception %q no longer needed: remove it", r.Text, edge)
			}
		}
		switch {
		case r.Pending != "" && (subjects == 0 || len(broken) > 0):
			t.Logf("PENDING rule %q: %s (%d packages, %d dependencies break it)", r.Text, r.Pending, subjects, len(broken))
		case r.Pending != "":
			t.Errorf("pending rule %q now holds over %d packages: remove Pending", r.Text, subjects)
		case subjects == 0:
			t.Errorf("rule %q names no package (%s): renamed?", r.Text, r.From)
		case len(broken) > 0:
			t.Errorf("rule %q is broken:\n\t%s", r.Text, strings.Join(broken, "\n\t"))
		}
	}
}

// TestRulesCatchViolations runs the rules over made-up graphs that break
// them, so that TestLayerRules cannot pass by matching nothing.
func TestRulesCatchViolations(t *testing.T) {
	for _, c := range []struct {
		from, to string
		rule     string // Text prefix of the rule that must catch from -> to
	}{
		{"verifier", "internal/mem", "the verifier imports only isa"},
		{"internal/engine/interp", ".", "no engine imports"},
		{"internal/engine/interp", "internal/helpers", "no engine imports"},
		{"internal/engine/jit", "internal/engine/interp", "an engine imports no other engine"},
		{"internal/helpers", "internal/engine/interp", "helpers never import an engine"},
		{"internal/vm", "internal/maps", "the runtime contract"},
		{".", "internal/testing/engines", "code outside internal/testing"},
		{"cmd/ebpfvm", "internal/testing/progen", "code outside internal/testing"},
		{"internal/fixup", "internal/engine/interp", "the fixup stage"},
		{"internal/progtype", "internal/engine/interp", "the program-type code"},
		{"internal/progtype", ".", "the program-type code"},
	} {
		g := deps{code: graph{c.from: {c.to}}}
		caught := false
		for _, r := range rules {
			if broken, _ := r.violations(g); len(broken) > 0 && strings.HasPrefix(r.Text, c.rule) {
				caught = true
			}
		}
		if !caught {
			t.Errorf("%s -> %s is not caught by %q", c.from, c.to, c.rule)
		}
	}
	// Rules with Tests see test imports; the others do not.
	tests := deps{code: graph{"internal/helpers": nil}, tests: graph{"internal/helpers": {"internal/engine/interp"}}}
	for _, r := range rules {
		if broken, _ := r.violations(tests); (len(broken) > 0) != (r.Tests && matches(r.From, "internal/helpers")) {
			t.Errorf("rule %q on a test import of internal/helpers: %v", r.Text, broken)
		}
	}
	// Allowed dependencies break nothing.
	for _, edge := range [][2]string{
		{"verifier", "isa"}, {"internal/engine/interp", "internal/vm"},
		{"internal/helpers", "internal/vm"}, {"cmd/ebpfvm", "internal/testing/conformance"},
		{"internal/testing/difftest", "internal/testing/progen"},
	} {
		g := deps{code: graph{edge[0]: {edge[1]}}}
		for _, r := range rules {
			if broken, _ := r.violations(g); len(broken) > 0 {
				t.Errorf("%s -> %s is refused by %q: %v", edge[0], edge[1], r.Text, broken)
			}
		}
	}
}

// TestPrintGraph prints each package's module dependencies (transitive,
// outside tests) with -v, for docs/ARCHITECTURE.md.
func TestPrintGraph(t *testing.T) {
	if !testing.Verbose() {
		t.Skip("prints the import graph with -v")
	}
	g := loadGraph(t).code
	var b strings.Builder
	for _, p := range sortedKeys(g) {
		fmt.Fprintf(&b, "%-28s %s\n", p, strings.Join(g[p], " "))
	}
	t.Log("\n" + b.String())
}

// TestArchitectureGraph keeps the import graph in docs/ARCHITECTURE.md
// true: every package outside internal/testing is listed, with exactly its
// direct imports of the module.
func TestArchitectureGraph(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", "ARCHITECTURE.md"))
	if err != nil {
		t.Fatal(err)
	}
	documented, err := parseDocGraph(string(doc))
	if err != nil {
		t.Fatal(err)
	}
	d := loadGraph(t)
	for _, p := range sortedKeys(d.direct) {
		if matches("internal/testing/...", p) {
			continue
		}
		want, ok := documented[p]
		if !ok {
			t.Errorf("ARCHITECTURE.md's import graph leaves out %s (imports %v)", p, d.direct[p])
			continue
		}
		got := slices.Sorted(slices.Values(d.direct[p]))
		if !slices.Equal(got, want) {
			t.Errorf("ARCHITECTURE.md: %s imports %v, go list says %v", p, want, got)
		}
	}
	for p := range documented {
		if _, ok := d.direct[p]; !ok {
			t.Errorf("ARCHITECTURE.md's import graph lists %s, which does not exist", p)
		}
	}
}

// parseDocGraph reads the first code block after "## Import graph": lines
// "pkg → a, b (comment)" or "pkg ← leaf". Names drop "internal/" where
// that is unambiguous, and the root is "ebpfvm (root)" or "ebpfvm".
func parseDocGraph(doc string) (map[string][]string, error) {
	_, rest, ok := strings.Cut(doc, "## Import graph")
	if !ok {
		return nil, fmt.Errorf("no \"## Import graph\" section")
	}
	_, rest, _ = strings.Cut(rest, "```\n")
	block, _, ok := strings.Cut(rest, "```")
	if !ok {
		return nil, fmt.Errorf("no code block in the import graph section")
	}
	name := func(s string) string {
		s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "(root)"))
		switch {
		case s == "ebpfvm":
			return "."
		case strings.HasPrefix(s, "internal/"), s == "isa", s == "verifier", s == "bench", s == "cmd/ebpfvm":
			return s
		}
		return "internal/" + s
	}
	g := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(block), "\n") {
		from, to, ok := strings.Cut(line, "→")
		if !ok {
			if from, _, ok = strings.Cut(line, "←"); !ok {
				return nil, fmt.Errorf("import graph line %q has neither → nor ←", line)
			}
			g[name(from)] = nil
			continue
		}
		to, _, _ = strings.Cut(to, "(")
		var imports []string
		for _, imp := range strings.Split(to, ",") {
			imports = append(imports, name(imp))
		}
		slices.Sort(imports)
		g[name(from)] = imports
	}
	return g, nil
}
