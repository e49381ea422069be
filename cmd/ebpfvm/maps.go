package main

import (
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
)

// cmdMaps lists the maps of an ELF object.
func cmdMaps(args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("maps", "OBJ", stderr)
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError("want OBJ, got %d arguments", len(pos))
	}
	obj, err := openObject(pos[0], false)
	if err != nil {
		return err
	}
	var names []string
	for n := range obj.spec.Maps {
		names = append(names, n)
	}
	slices.Sort(names)
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tTYPE\tKEY\tVALUE\tMAX ENTRIES\tFLAGS")
	for _, n := range names {
		m := obj.spec.Maps[n]
		fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%d\t%#x\n", n, m.Type, m.KeySize, m.ValueSize, m.MaxEntries, m.Flags)
	}
	return w.Flush()
}
