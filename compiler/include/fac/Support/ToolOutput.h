//===- ToolOutput.h - Keep a tool's output file only when it was written --===//
//
// llvm::ToolOutputFile reports a failed write with "LLVM ERROR: IO failure
// on output stream" and exit status 1 when it is destroyed. FAC's tools
// close their output themselves and report the failure as a file error.
//
//===----------------------------------------------------------------------===//

#ifndef FAC_SUPPORT_TOOLOUTPUT_H
#define FAC_SUPPORT_TOOLOUTPUT_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

namespace fac {

/// Flushes and closes \p output (named \p path; "-" is stdout, which is
/// only flushed) and keeps it. When a write failed, reports it as
/// "<tool>: error: cannot write '<path>': <reason>", removes the file and
/// returns false.
inline bool keepToolOutput(llvm::ToolOutputFile &output, llvm::StringRef tool,
                           llvm::StringRef path) {
  llvm::raw_fd_ostream &os = output.os();
  if (path == "-")
    os.flush();
  else
    os.close();
  if (os.has_error()) {
    llvm::errs() << tool << ": error: cannot write "
                 << (path == "-" ? "to standard output"
                                 : "'" + path.str() + "'")
                 << ": " << os.error().message() << "\n";
    os.clear_error();
    return false;
  }
  output.keep();
  return true;
}

} // namespace fac

#endif // FAC_SUPPORT_TOOLOUTPUT_H
