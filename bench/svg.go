package bench

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"strings"
)

// engineColors are the bars' colours, by engine.
var engineColors = map[string]string{
	Kernel:          "#4e79a7",
	Native:          "#59a14f",
	Interp:          "#e15759",
	InterpChecked:   "#ff9d9a",
	InterpUntrusted: "#b07aa1",
	JIT:             "#f28e2b",
}

// WriteSVG draws the main table as a bar chart: one group of bars per
// program, one bar per engine, time per run on a logarithmic axis.
func (r *Report) WriteSVG(w io.Writer) error {
	var drawn []EngineInfo // engines with at least one time
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, e := range r.Engines {
		any := false
		for _, res := range r.Results {
			if m := res.Engines[e.Name]; m.OK() {
				any = true
				lo, hi = math.Min(lo, m.MedianNS), math.Max(hi, m.MedianNS)
			}
		}
		if any {
			drawn = append(drawn, e)
		}
	}
	if len(drawn) == 0 {
		return fmt.Errorf("no times to draw")
	}
	dlo, dhi := math.Floor(math.Log10(lo)), math.Ceil(math.Log10(hi))
	if dhi == dlo {
		dhi++
	}

	const (
		left, right, top, bottom = 78.0, 24.0, 116.0, 80.0
		plotH                    = 340.0
		barW, barGap, groupGap   = 13.0, 2.0, 18.0
	)
	groupW := float64(len(drawn))*(barW+barGap) - barGap + groupGap
	plotW := groupW * float64(len(r.Results))
	width, height := left+plotW+right, top+plotH+bottom
	y := func(ns float64) float64 { return top + plotH*(dhi-math.Log10(ns))/(dhi-dlo) }

	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="Helvetica, Arial, sans-serif" font-size="12">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%.0f" y="24" font-size="16" font-weight="bold">Time per run (log scale, lower is better)</text>`+"\n", left)
	for i, line := range r.subtitles() {
		fmt.Fprintf(&b, `<text x="%.0f" y="%d" fill="#555">%s</text>`+"\n", left, 42+16*i, esc(line))
	}
	// Legend.
	lx := left
	for _, e := range r.Engines {
		label := e.Label
		color := engineColors[e.Name]
		if !e.Available || !containsEngine(drawn, e.Name) {
			label += " (n/a)"
			color = "#ccc"
		}
		fmt.Fprintf(&b, `<rect x="%.0f" y="78" width="12" height="12" fill="%s"/><text x="%.0f" y="88">%s</text>`+"\n", lx, color, lx+17, esc(label))
		lx += 17 + 7*float64(len([]rune(label))) + 22
	}
	// Grid and the axis labels: decades, with 2 and 5 between them.
	for d := dlo; d <= dhi; d++ {
		for _, m := range []float64{1, 2, 5} {
			v := m * math.Pow(10, d)
			if d == dhi && m > 1 {
				break
			}
			yy := y(v)
			if m == 1 {
				fmt.Fprintf(&b, `<line x1="%.0f" y1="%.1f" x2="%.0f" y2="%.1f" stroke="#bbb"/>`+"\n", left, yy, left+plotW, yy)
				fmt.Fprintf(&b, `<text x="%.0f" y="%.1f" text-anchor="end">%s</text>`+"\n", left-6, yy+4, decadeLabel(int(d)))
			} else {
				fmt.Fprintf(&b, `<line x1="%.0f" y1="%.1f" x2="%.0f" y2="%.1f" stroke="#e6e6e6" stroke-dasharray="3,3"/>`+"\n", left, yy, left+plotW, yy)
			}
		}
	}
	// Bars.
	for g, res := range r.Results {
		x0 := left + float64(g)*groupW + groupGap/2
		for k, e := range drawn {
			m := res.Engines[e.Name]
			if !m.OK() {
				continue
			}
			x := x0 + float64(k)*(barW+barGap)
			yy := y(m.MedianNS)
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.0f" height="%.1f" fill="%s"><title>%s, %s: %s</title></rect>`+"\n",
				x, yy, barW, top+plotH-yy, engineColors[e.Name], res.Name, esc(e.Label), FormatNS(m.MedianNS))
		}
		// Above each ebpfvm bar: its ratio to the kernel JIT.
		level := 0
		for k, e := range drawn {
			if e.Name == Kernel || e.Name == Native {
				continue
			}
			ratio := res.Ratio(e.Name, Kernel)
			if math.IsNaN(ratio) {
				continue
			}
			x := x0 + float64(k)*(barW+barGap) + barW/2
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="10" text-anchor="middle" fill="%s">%s</text>`+"\n",
				x, y(res.Engines[e.Name].MedianNS)-4-11*float64(level), engineColors[e.Name], FormatRatio(ratio))
			level++
		}
		cx := x0 + (groupW-groupGap)/2
		fmt.Fprintf(&b, `<text transform="translate(%.1f,%.0f) rotate(-35)" text-anchor="end">%s</text>`+"\n", cx+4, top+plotH+16, esc(res.Name))
	}
	fmt.Fprintf(&b, `<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="#333"/>`+"\n", left, top+plotH, left+plotW, top+plotH)
	fmt.Fprintf(&b, `<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="#333"/>`+"\n", left, top, left, top+plotH)
	b.WriteString("</svg>\n")
	_, err := w.Write(b.Bytes())
	return err
}

// subtitles are the lines under the title: the geometric means of the
// ratios, and the machine.
func (r *Report) subtitles() []string {
	var parts []string
	for _, c := range r.ratioCols() {
		if g, n := r.Geomean(c.engine, c.base); n > 0 {
			parts = append(parts, fmt.Sprintf("%s %s", c.header(r), FormatRatio(g)))
		}
	}
	var lines []string
	if len(parts) > 0 {
		lines = append(lines, "geometric means: "+strings.Join(parts, ", "))
	}
	m := r.Machine.CPU
	if r.Machine.Kernel != "" {
		m += ", Linux " + r.Machine.Kernel
	}
	if r.hasEngine(Kernel) {
		m += "; above the ebpfvm bars: time / kernel JIT's"
	}
	return append(lines, m)
}

// hasEngine reports whether the engine ran (has a time somewhere).
func (r *Report) hasEngine(name string) bool {
	for _, res := range r.Results {
		if res.Engines[name].OK() {
			return true
		}
	}
	return false
}

func containsEngine(es []EngineInfo, name string) bool {
	for _, e := range es {
		if e.Name == name {
			return true
		}
	}
	return false
}

// decadeLabel names 10^d nanoseconds.
func decadeLabel(d int) string {
	units := []string{"ns", "µs", "ms", "s"}
	if d < 0 {
		return fmt.Sprintf("%g ns", math.Pow(10, float64(d)))
	}
	u := min(d/3, len(units)-1)
	return fmt.Sprintf("%g %s", math.Pow(10, float64(d-3*u)), units[u])
}

func esc(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}
