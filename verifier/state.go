package verifier

import "sync"

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
	// callbackDepth counts the bpf_loop iterations queued from this
	// frame since its last helper return (the kernel's callback_depth).
	callbackDepth int
	// Stack liveness (the kernel's REG_LIVE_READ/WRITTEN on stack
	// slots): written has the slots this state's segment overwrote in
	// full; read, in stored states, the slots some path from the state
	// read before overwriting them. Pruning compares only those.
	read, written uint64
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
	// first is the instruction this state's segment started at (the
	// instruction of its parent checkpoint); last the instruction checked
	// before the current one; hist the jumps and stack accesses of the
	// segment (first_insn_idx, last_insn_idx, jmp_history).
	first, last int
	hist        []histEntry
}

// checkpoint is a state stored for pruning (struct bpf_verifier_state_list).
type checkpoint struct {
	st       *state
	insn     int
	branches int
	parent   *checkpoint
	hit      int
	miss     int
	// loopHead: a state on the current path that a loop state was
	// pruned against; its marks are final once its branches are done.
	loopHead bool
}

func (s *state) cur() *funcState { return s.frames[len(s.frames)-1] }

// cloneInto copies s into n (a state whose path has ended, or nil for a new
// one), reusing n's frames and slices.
func cloneInto(n, s *state) *state {
	if n == nil {
		n = &state{}
	}
	frames, hist, refs := n.frames[:0], n.hist[:0], n.refs[:0]
	*n = state{
		lockID:        s.lockID,
		lockMap:       s.lockMap,
		mayGotoDepth:  s.mayGotoDepth,
		cbUnrollDepth: s.cbUnrollDepth,
		parent:        s.parent,
		first:         s.first,
		last:          s.last,
	}
	for i, f := range s.frames {
		var nf *funcState
		if i < cap(frames) {
			nf = frames[:cap(frames)][i]
		}
		if nf == nil {
			nf = &funcState{}
		}
		stack := nf.stack[:0]
		*nf = *f
		nf.stack = append(stack, f.stack...)
		frames = append(frames, nf)
	}
	n.frames = frames
	if len(s.hist) > 0 {
		n.hist = append(hist, s.hist...)
	} else {
		n.hist = hist
	}
	if len(s.refs) > 0 {
		n.refs = append(refs, s.refs...)
	}
	return n
}

// newState copies s for a new path or a checkpoint, recycling the memory
// of a finished path, or of an earlier verification.
func (v *verifier) newState(s *state) *state {
	var n *state
	if k := len(v.free); k > 0 {
		n = v.free[k-1]
		v.free = v.free[:k-1]
	} else if p, ok := statePool.Get().(*state); ok {
		n = p
	}
	return cloneInto(n, s)
}

// statePool keeps the states of finished verifications for the next ones:
// a runtime verifies many programs, and states are most of a
// verification's allocations.
var statePool sync.Pool

// releaseStates hands every state the run can still reach to statePool.
// Nothing refers to them once Verify returns; each is put back once.
func (v *verifier) releaseStates() {
	put := func(s *state) {
		if s != nil {
			s.parent = nil
			statePool.Put(s)
		}
	}
	for _, s := range v.free {
		put(s)
	}
	for _, p := range v.pending {
		put(p.st)
	}
	for _, list := range v.explored {
		for _, cp := range list {
			put(cp.st)
		}
	}
	put(v.cur)
	v.free, v.pending, v.explored, v.cur = nil, nil, nil, nil
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
