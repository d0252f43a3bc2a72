//===- StackGuard.h - How deep the current thread may recurse -------------===//
//
// The front end's recursive parts (ANTLR's recursive descent, the
// interpreter's tree walk) stop with a located error before their frames
// reach the end of the thread's stack, whatever the frame size of the
// build (release, sanitizers, -O0) or the size of the thread's stack.
//
//===----------------------------------------------------------------------===//

#ifndef FAC_SUPPORT_STACKGUARD_H
#define FAC_SUPPORT_STACKGUARD_H

#include "llvm/ADT/STLFunctionalExtras.h"

#include <cstdint>

namespace fac {

/// Stack left unused below the deepest guarded frame, for the calls that
/// frame makes (intrinsics, the runtime, ANTLR's prediction).
inline constexpr uintptr_t kStackHeadroom = 512 * 1024;

/// The lowest address the current thread's stack may safely reach: its
/// bottom plus kStackHeadroom (or 1 MB below the first caller when the
/// bounds are unknown). Found once per thread.
uintptr_t getStackFloor();

/// The stack FAC's tools run their front end and interpreter on: room for
/// the deepest input the limits let through (kMaxRuleDepth grammar rules
/// with ANTLR's prediction below them, kMaxExprDepth AST levels in Sema and
/// MLIRGen, the interpreter's 5000 evaluations) in every build, sanitizers
/// included, whatever the stack limit of the process. Only the pages a run
/// touches are committed.
inline constexpr unsigned kLargeStackBytes = 256u << 20;

/// Runs \p body on a new thread with a kLargeStackBytes stack and returns
/// its result (on the calling thread when no thread can be made).
int runOnLargeStack(llvm::function_ref<int()> body);

/// True when the caller's frame is below the current thread's stack floor.
inline bool isStackNearlyExhausted() {
  return reinterpret_cast<uintptr_t>(__builtin_frame_address(0)) <
         getStackFloor();
}

} // namespace fac

#endif // FAC_SUPPORT_STACKGUARD_H
