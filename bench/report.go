package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
)

// FormatNS formats a time per run: 850 ns, 12.3 µs, 1.23 ms.
func FormatNS(ns float64) string {
	switch {
	case ns <= 0 || math.IsNaN(ns):
		return "n/a"
	case ns < 10:
		return fmt.Sprintf("%.1f ns", ns)
	case ns < 1e3:
		return fmt.Sprintf("%.0f ns", ns)
	case ns < 1e4:
		return fmt.Sprintf("%.2f µs", ns/1e3)
	case ns < 1e6:
		return fmt.Sprintf("%.1f µs", ns/1e3)
	case ns < 1e7:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	default:
		return fmt.Sprintf("%.1f ms", ns/1e6)
	}
}

// FormatRatio formats a ratio of times: 0.92×, 3.4×, 27×.
func FormatRatio(r float64) string {
	switch {
	case r <= 0 || math.IsNaN(r) || math.IsInf(r, 0):
		return "n/a"
	case r < 10:
		return fmt.Sprintf("%.2f×", r)
	case r < 100:
		return fmt.Sprintf("%.1f×", r)
	default:
		return fmt.Sprintf("%.0f×", r)
	}
}

// A ratio column: engine's time over base's.
type ratioCol struct{ engine, base string }

func (c ratioCol) header(r *Report) string {
	return short(r, c.engine) + " / " + short(r, c.base)
}

// short is an engine's name in ratio headers.
func short(r *Report, name string) string {
	switch name {
	case Interp:
		return "interp"
	case InterpChecked:
		return "interp checked"
	case InterpUntrusted:
		return "interp untrusted"
	case JIT:
		return "ebpfvm JIT"
	case Kernel:
		return "kernel"
	case Native:
		return "native"
	}
	return name
}

// ratioCols are the ratios the table shows: every ebpfvm engine to the
// kernel JIT, every engine to native code, and the interpreter's checked
// mode to its verified mode.
func (r *Report) ratioCols() []ratioCol {
	// Engines that are not available get no ratio columns: their time
	// column says n/a already.
	has := map[string]bool{}
	for _, e := range r.Engines {
		has[e.Name] = e.Available
	}
	var cols []ratioCol
	if has[Kernel] {
		for _, e := range r.Engines {
			if e.Name != Kernel && e.Name != Native && e.Available {
				cols = append(cols, ratioCol{e.Name, Kernel})
			}
		}
	}
	if has[Native] {
		for _, e := range r.Engines {
			if e.Name != Native && e.Available {
				cols = append(cols, ratioCol{e.Name, Native})
			}
		}
	}
	if has[Interp] && has[InterpChecked] {
		cols = append(cols, ratioCol{InterpChecked, Interp})
	}
	return cols
}

// Ratio returns engine's time over base's for a result, or NaN.
func (res *Result) Ratio(engine, base string) float64 {
	a, b := res.Engines[engine], res.Engines[base]
	if !a.OK() || !b.OK() {
		return math.NaN()
	}
	return a.MedianNS / b.MedianNS
}

// Geomean returns the geometric mean of engine/base over the results
// where both have a time, and how many there were.
func (r *Report) Geomean(engine, base string) (float64, int) {
	sum, n := 0.0, 0
	for _, res := range r.Results {
		if x := res.Ratio(engine, base); !math.IsNaN(x) {
			sum += math.Log(x)
			n++
		}
	}
	if n == 0 {
		return math.NaN(), 0
	}
	return math.Exp(sum / float64(n)), n
}

// table is rows of cells; the first row is the header.
type table [][]string

// writeText writes t with aligned columns; the first column is left
// aligned, the others right aligned.
func (t table) writeText(w io.Writer) {
	widths := make([]int, len(t[0]))
	for _, row := range t {
		for i, c := range row {
			widths[i] = max(widths[i], len([]rune(c)))
		}
	}
	for k, row := range t {
		var b strings.Builder
		for i, c := range row {
			pad := strings.Repeat(" ", widths[i]-len([]rune(c)))
			if i == 0 {
				b.WriteString(c + pad)
			} else {
				b.WriteString("  " + pad + c)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
		if k == 0 {
			var sep strings.Builder
			for i, wd := range widths {
				if i > 0 {
					sep.WriteString("  ")
				}
				sep.WriteString(strings.Repeat("-", wd))
			}
			fmt.Fprintln(w, sep.String())
		}
	}
}

// writeMarkdown writes t as a GitHub table.
func (t table) writeMarkdown(w io.Writer) {
	for k, row := range t {
		fmt.Fprintf(w, "| %s |\n", strings.Join(row, " | "))
		if k == 0 {
			seps := make([]string, len(row))
			for i := range seps {
				seps[i] = "---:"
			}
			seps[0] = ":---"
			fmt.Fprintf(w, "| %s |\n", strings.Join(seps, " | "))
		}
	}
}

func (t table) write(w io.Writer, markdown bool) {
	if markdown {
		t.writeMarkdown(w)
	} else {
		t.writeText(w)
	}
}

// MainTable is the table of times per run and ratios.
func (r *Report) mainTable(markdown bool) table {
	cols := r.ratioCols()
	head := []string{"program", "eBPF insns"}
	for _, e := range r.Engines {
		head = append(head, e.Label)
	}
	for _, c := range cols {
		head = append(head, c.header(r))
	}
	t := table{head}
	for _, res := range r.Results {
		name := res.Name
		if markdown {
			name = "`" + name + "`"
		}
		row := []string{name, formatCount(res.Instructions)}
		for _, e := range r.Engines {
			row = append(row, cell(res.Engines[e.Name]))
		}
		for _, c := range cols {
			row = append(row, FormatRatio(res.Ratio(c.engine, c.base)))
		}
		t = append(t, row)
	}
	row := []string{"geometric mean", ""}
	if markdown {
		row[0] = "**geometric mean**"
	}
	for range r.Engines {
		row = append(row, "")
	}
	for _, c := range cols {
		g, _ := r.Geomean(c.engine, c.base)
		s := FormatRatio(g)
		if markdown && s != "n/a" {
			s = "**" + s + "**"
		}
		row = append(row, s)
	}
	return append(t, row)
}

// formatCount formats an instruction count: 950, 12.3k, 1.23M.
func formatCount(n uint64) string {
	switch {
	case n == 0:
		return "n/a"
	case n < 1000:
		return fmt.Sprint(n)
	case n < 1e6:
		return fmt.Sprintf("%.1fk", float64(n)/1e3)
	default:
		return fmt.Sprintf("%.2fM", float64(n)/1e6)
	}
}

func cell(m *Measurement) string {
	if !m.OK() {
		return "n/a"
	}
	if m.Checked != "" {
		return FormatNS(m.MedianNS) + "*"
	}
	return FormatNS(m.MedianNS)
}

// WriteText writes the report as the bench command prints it; with
// markdown, as GitHub tables (what BENCHMARKS.md shows).
func (r *Report) WriteText(w io.Writer, markdown bool) {
	if len(r.Results) > 0 {
		r.mainTable(markdown).write(w, markdown)
		fmt.Fprintln(w)
		r.writeNotes(w)
	}
	if len(r.Growth) > 0 {
		if len(r.Results) > 0 {
			fmt.Fprintln(w)
		}
		r.writeGrowth(w, markdown)
	}
	if r.Overhead != nil {
		if len(r.Results) > 0 || len(r.Growth) > 0 {
			fmt.Fprintln(w)
		}
		r.writeOverhead(w, markdown)
	}
}

// writeNotes says which engines could not run, what failed and how
// stable the measurements were.
func (r *Report) writeNotes(w io.Writer) {
	for _, e := range r.Engines {
		if !e.Available {
			fmt.Fprintf(w, "%s: n/a (%s)\n", e.Label, e.Reason)
		}
	}
	for _, res := range r.Results {
		for _, e := range r.Engines {
			if m := res.Engines[e.Name]; e.Available && m != nil && m.Error != "" {
				fmt.Fprintf(w, "%s in %s: %s\n", res.Name, e.Label, firstLine(m.Error))
			}
		}
	}
	for _, res := range r.Results {
		for _, e := range r.Engines {
			if m := res.Engines[e.Name]; m != nil && m.Checked != "" {
				fmt.Fprintf(w, "* %s in %s ran unverified, in checked mode: %s\n", res.Name, e.Label, firstLine(m.Checked))
			}
		}
	}
	worst, where := 0.0, ""
	for _, res := range r.Results {
		for _, e := range r.Engines {
			if m := res.Engines[e.Name]; m.OK() {
				if s := (m.MaxNS - m.MinNS) / m.MedianNS; s > worst {
					worst, where = s, res.Name+" in "+e.Label
				}
			}
		}
	}
	fmt.Fprintf(w, "Medians of %d measurements of ~%.0f ms each, on CPU %d; checksums agree in every engine.\n",
		r.Rounds, r.BatchMS, r.Machine.PinnedCPU)
	if where != "" {
		fmt.Fprintf(w, "Largest spread (max-min)/median: %.0f%% (%s).\n", 100*worst, where)
	}
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// writeGrowth writes, for each size, each engine's time per run and per
// unit of work: a fixed cost per run shows as a time per unit that falls
// as n grows, a cost per unit as a time per unit that levels off.
func (r *Report) writeGrowth(w io.Writer, markdown bool) {
	for k, g := range r.Growth {
		if k > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "Cost growth: %s, n %ss per run\n\n", g.Name, g.Unit)
		head := []string{"n"}
		for _, e := range r.Engines {
			if e.Available {
				head = append(head, e.Label, "per "+g.Unit)
			}
		}
		t := table{head}
		for k, res := range g.Results {
			row := []string{fmt.Sprintf("%d (%d×)", g.N[k], g.Factors[k])}
			for _, e := range r.Engines {
				if !e.Available {
					continue
				}
				m := res.Engines[e.Name]
				per := "n/a"
				if m.OK() {
					per = FormatNS(m.MedianNS / float64(g.N[k]))
				}
				row = append(row, cell(m), per)
			}
			t = append(t, row)
		}
		t.write(w, markdown)
	}
}

func (r *Report) writeOverhead(w io.Writer, markdown bool) {
	fmt.Fprintln(w, "Fixed cost of a run: the empty program (r0 = 0; exit), XDP, same object")
	fmt.Fprintln(w)
	t := table{{"engine", "time per run"}}
	for _, e := range r.Engines {
		if e.Available {
			t = append(t, []string{e.Label, cell(r.Overhead.Result.Engines[e.Name])})
		}
	}
	if r.Overhead.GenericNS > 0 {
		t = append(t, []string{"ebpfvm interp, generic program type", FormatNS(r.Overhead.GenericNS)})
	}
	t.write(w, markdown)
	if r.Overhead.GenericNS > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "The generic program type is ebpfvm's own (no packet or context to set up), for comparison.")
	}
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
