package verifier

// Abstract machine state: one funcState per active call frame, plus the
// references and the lock the path holds.

const (
	maxCallFrames = 8   // MAX_CALL_FRAMES
	maxStack      = 512 // MAX_BPF_STACK
	maxVarOff     = 1 << 29
	maxLoops      = 8 * 1024 * 1024
	maxInsnsLimit = 1_000_000
	regFP         = 10
)

// funcState is one call frame (struct bpf_func_state).
type funcState struct {
	regs     [11]reg
	stack    []slot // slot i covers [-(i+1)*8, -i*8) from the frame pointer
	callsite int    // instruction of the call that made this frame, -1 for main
	subprog  int
	frameno  int
	// callback frames return to the helper call that invoked them.
	callback    bool
	cbRetMin    int64
	cbRetMax    int64
	cbHelperIdx int
}

type refState struct {
	id   uint32
	insn int
}

// state is the whole abstract state of one path (struct bpf_verifier_state).
type state struct {
	frames []*funcState
	refs   []refState
	// lockID/lockMap: a held bpf_spin_lock (0 when none).
	lockID       uint32
	lockMap      *Map
	mayGotoDepth int
	// cbUnrollDepth counts the callback iterations entered on this path
	// (callback_unroll_depth): two visits of a callback body in different
	// iterations are not an infinite loop.
	cbUnrollDepth int
	parent        *checkpoint
	// loopCallback counts nested callback iterations (for logs only).
}

// checkpoint is a state stored for pruning (struct bpf_verifier_state_list).
type checkpoint struct {
	st       *state
	insn     int
	branches int
	parent   *checkpoint
	hit      int
	miss     int
}

func (s *state) cur() *funcState { return s.frames[len(s.frames)-1] }

func (f *funcState) clone() *funcState {
	n := *f
	n.stack = append([]slot(nil), f.stack...)
	return &n
}

func (s *state) clone() *state {
	n := &state{
		frames:        make([]*funcState, len(s.frames)),
		lockID:        s.lockID,
		lockMap:       s.lockMap,
		mayGotoDepth:  s.mayGotoDepth,
		cbUnrollDepth: s.cbUnrollDepth,
		parent:        s.parent,
	}
	for i, f := range s.frames {
		n.frames[i] = f.clone()
	}
	if len(s.refs) > 0 {
		n.refs = append([]refState(nil), s.refs...)
	}
	return n
}

// growStack makes sure the frame has slots down to -size.
func (f *funcState) growStack(size int) {
	n := (size + 7) / 8
	for len(f.stack) < n {
		f.stack = append(f.stack, slot{})
	}
}

// allocated returns the allocated stack size in bytes.
func (f *funcState) allocated() int { return len(f.stack) * 8 }

// byteKind returns the kind of the stack byte at offset off (< 0).
func (f *funcState) byteKind(off int) uint8 {
	spi := (-off - 1) / 8
	if spi >= len(f.stack) {
		return stackInvalid
	}
	return f.stack[spi].kinds[(-off-1)%8]
}
