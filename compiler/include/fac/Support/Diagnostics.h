//===- Diagnostics.h - Source locations and clang-style diagnostics -------===//
//
// Owns the source buffer of one spec file and prints every front-end
// diagnostic as `file:line:col: error: message` with the source line and a
// caret, through llvm::SourceMgr. Columns are 1-based byte columns.
//
//===----------------------------------------------------------------------===//

#ifndef FAC_SUPPORT_DIAGNOSTICS_H
#define FAC_SUPPORT_DIAGNOSTICS_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/SourceMgr.h"

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace fac {

class SourceFile;

/// A position in the spec file: 1-based line and byte column, and the
/// imported file it is in (null: the file being compiled, or the
/// prelude).
struct Location {
  unsigned line = 0;
  unsigned col = 0;
  SourceFile *file = nullptr;
};

/// The source of one spec and the diagnostics reported against it.
class SourceFile {
public:
  /// Takes ownership of \p buffer, whose identifier is the file name shown
  /// in diagnostics.
  explicit SourceFile(std::unique_ptr<llvm::MemoryBuffer> buffer);

  llvm::StringRef getFilename() const { return filename; }

  /// A file this one imports (directly or not): owned here, so that its
  /// text outlives every diagnostic. Its locations name it (Location::file)
  /// and are reported there, counted here too.
  SourceFile &addImport(std::unique_ptr<llvm::MemoryBuffer> buffer);
  /// The names of the files this one imports, directly or not, in the
  /// order they were read (what a build's dependency file lists).
  std::vector<std::string> getImportedFilenames() const;
  llvm::StringRef getText() const;
  llvm::SourceMgr &getSourceMgr() { return sourceMgr; }

  /// The location of byte \p offset of the text.
  Location locationOfOffset(size_t offset) const;

  void error(Location loc, const llvm::Twine &msg);
  void warning(Location loc, const llvm::Twine &msg);
  void note(Location loc, const llvm::Twine &msg);

  unsigned getNumErrors() const { return numErrors; }

  /// Where diagnostics go instead of stderr (an editor's language server):
  /// called with the file a diagnostic is in, its location there, its
  /// kind and its message. The files it imports share it; an empty one
  /// prints again.
  using Handler =
      std::function<void(const SourceFile &, Location,
                         llvm::SourceMgr::DiagKind, const std::string &)>;
  void setHandler(const Handler &value);

  /// Counts diagnostics without printing them (for the fuzzer).
  void setQuiet(bool value) { quiet = value; }
  bool isQuiet() const { return quiet; }

private:
  void report(Location loc, llvm::SourceMgr::DiagKind kind,
              const llvm::Twine &msg);

  llvm::SourceMgr sourceMgr;
  std::string filename;
  unsigned bufferId;
  unsigned numErrors = 0;
  /// Errors and warnings said so far, and whether the last one was said
  /// before (then its notes are not said again either).
  std::set<std::tuple<unsigned, unsigned, int, std::string>> reported;
  bool repeated = false;
  std::vector<std::unique_ptr<SourceFile>> imports;
  bool quiet = false;
  Handler handler;
};

} // namespace fac

#endif // FAC_SUPPORT_DIAGNOSTICS_H
