// Package vm is the runtime contract between ebpfvm's engines and the code
// that programs run with: the run state helpers see (Env), helpers and
// kfuncs (Helper, Helpers, HelperFunc), run errors (Error and the Err*
// sentinels), the kernel's frame and loop limits (StackSize, MaxFrames,
// MaxLoops, MaxTailCalls), the tail-call resolver, and the engine
// interface (Engine, its compiled Code, its per-goroutine Machine).
//
// Engines (internal/engine/...) implement Engine; the helpers
// (internal/helpers) and the program-type code use Env and import no
// engine; the root package picks an engine per program and holds only
// these interfaces. The Env holds no engine type: Env.Call reaches the
// running engine through the Caller it registered.
package vm
