package bench

import (
	"bufio"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// nativeEngine compiles a program's C source with gcc -O2 as an ordinary
// function (progs/bench.h includes native/shim.h when the target is not
// BPF), links it with native/harness.c and times it there.
type nativeEngine struct {
	// CPU is the CPU the harness pins itself to; -1 for none.
	CPU int

	once sync.Once
	cc   string
	dir  string // the sources, written out; binaries go here too
	err  error
}

func (*nativeEngine) Name() string  { return Native }
func (*nativeEngine) Label() string { return "native gcc -O2" }

// compiler returns $CC, or gcc.
func compiler() string {
	if cc := os.Getenv("CC"); cc != "" {
		return cc
	}
	return "gcc"
}

func (e *nativeEngine) Available() error {
	e.once.Do(func() {
		cc, err := exec.LookPath(compiler())
		if err != nil {
			e.err = fmt.Errorf("no C compiler: %w", err)
			return
		}
		e.cc = cc
		e.dir, e.err = writeSources()
	})
	return e.err
}

// writeSources writes the embedded C sources to a new temporary directory.
func writeSources() (string, error) {
	dir, err := os.MkdirTemp("", "ebpfvm-bench-")
	if err != nil {
		return "", err
	}
	err = fs.WalkDir(sources, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(path, ".o") {
			return err
		}
		b, err := sources.ReadFile(path)
		if err != nil {
			return err
		}
		dst := filepath.Join(dir, filepath.FromSlash(path))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
	if err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	return dir, nil
}

// Close removes the compiled programs and their sources.
func (e *nativeEngine) Close() error {
	if e.dir == "" {
		return nil
	}
	return os.RemoveAll(e.dir)
}

// NativeCFlags are the flags the native engine compiles programs with.
var NativeCFlags = []string{"-O2"}

func (e *nativeEngine) Load(b *Benchmark) (Instance, error) {
	if err := e.Available(); err != nil {
		return nil, err
	}
	obj := filepath.Join(e.dir, b.Name+".native.o")
	bin := filepath.Join(e.dir, b.Name+".harness")
	args := append(append([]string{}, NativeCFlags...), "-c", filepath.Join(e.dir, "progs", b.Name+".c"), "-o", obj)
	if err := e.run(args...); err != nil {
		return nil, err
	}
	args = append(append([]string{}, NativeCFlags...), "-Wno-unused-function", "-DENTRY="+b.Name)
	if b.Setup != "" {
		args = append(args, "-DSETUP="+b.Setup)
	}
	args = append(args, filepath.Join(e.dir, "native", "harness.c"), obj, "-o", bin)
	if err := e.run(args...); err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, strconv.Itoa(e.CPU))
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	i := &nativeInstance{cmd: cmd, in: in, out: bufio.NewReader(out)}
	if b.Setup != "" {
		if err := i.setPacket(b.Packet(b.N)); err != nil {
			i.Close()
			return nil, err
		}
		if _, err := i.call("s"); err != nil {
			i.Close()
			return nil, fmt.Errorf("%s: %w", b.Setup, err)
		}
	}
	return i, nil
}

func (e *nativeEngine) run(args ...string) error {
	cmd := exec.Command(e.cc, args...)
	cmd.Dir = e.dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v\n%s", filepath.Base(e.cc), strings.Join(args, " "), err, out)
	}
	return nil
}

type nativeInstance struct {
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *bufio.Reader
	packet string // hex of the packet the harness has
}

// call sends a command line and returns the answer line.
func (i *nativeInstance) call(cmd string) (string, error) {
	if _, err := io.WriteString(i.in, cmd+"\n"); err != nil {
		return "", fmt.Errorf("native harness: %w", err)
	}
	line, err := i.out.ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("native harness: %w", err)
	}
	line = strings.TrimSpace(line)
	if strings.HasPrefix(line, "error") {
		return "", fmt.Errorf("native harness: %s", line)
	}
	return line, nil
}

func (i *nativeInstance) setPacket(p []byte) error {
	h := hex.EncodeToString(p)
	if h == i.packet {
		return nil
	}
	if _, err := i.call("p " + h); err != nil {
		return err
	}
	i.packet = h
	return nil
}

func (i *nativeInstance) Run(packet []byte, repeat int) (uint32, float64, error) {
	if err := i.setPacket(packet); err != nil {
		return 0, 0, err
	}
	line, err := i.call("r " + strconv.Itoa(max(repeat, 1)))
	if err != nil {
		return 0, 0, err
	}
	var ret uint32
	var ns int64
	if _, err := fmt.Sscanf(line, "%d %d", &ret, &ns); err != nil {
		return 0, 0, fmt.Errorf("native harness: answer %q: %v", line, err)
	}
	return ret, float64(ns) / float64(max(repeat, 1)), nil
}

func (i *nativeInstance) Close() error {
	i.in.Close()
	err := i.cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return fmt.Errorf("native harness: %w", err)
	}
	return err
}
