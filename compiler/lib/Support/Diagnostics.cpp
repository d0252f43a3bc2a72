//===- Diagnostics.cpp - Source locations and clang-style diagnostics -----===//

#include "fac/Support/Diagnostics.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

using namespace fac;

SourceFile::SourceFile(std::unique_ptr<llvm::MemoryBuffer> buffer)
    : filename(buffer->getBufferIdentifier().str()) {
  bufferId = sourceMgr.AddNewSourceBuffer(std::move(buffer), llvm::SMLoc());
}

llvm::StringRef SourceFile::getText() const {
  return sourceMgr.getMemoryBuffer(bufferId)->getBuffer();
}

Location SourceFile::locationOfOffset(size_t offset) const {
  llvm::StringRef text = getText();
  offset = std::min(offset, text.size());
  auto [line, col] = sourceMgr.getLineAndColumn(
      llvm::SMLoc::getFromPointer(text.data() + offset), bufferId);
  return {line, col};
}

SourceFile &SourceFile::addImport(std::unique_ptr<llvm::MemoryBuffer> buffer) {
  imports.push_back(std::make_unique<SourceFile>(std::move(buffer)));
  imports.back()->setQuiet(quiet);
  imports.back()->setHandler(handler);
  return *imports.back();
}

std::vector<std::string> SourceFile::getImportedFilenames() const {
  std::vector<std::string> names;
  for (const std::unique_ptr<SourceFile> &file : imports)
    names.push_back(file->getFilename().str());
  return names;
}

void SourceFile::setHandler(const Handler &value) {
  handler = value;
  for (std::unique_ptr<SourceFile> &file : imports)
    file->setHandler(value);
}

void SourceFile::report(Location loc, llvm::SourceMgr::DiagKind kind,
                        const llvm::Twine &msg) {
  if (loc.file && loc.file != this) {
    unsigned before = loc.file->getNumErrors();
    loc.file->report(loc, kind, msg);
    numErrors += loc.file->getNumErrors() - before;
    return;
  }
  // The same diagnostic again (a top-level let is checked in every
  // concept) is said once, and so are its notes.
  if (kind != llvm::SourceMgr::DK_Note) {
    repeated =
        !reported.insert({loc.line, loc.col, int(kind), msg.str()}).second;
  }
  if (repeated)
    return;
  if (kind == llvm::SourceMgr::DK_Error)
    ++numErrors;
  if (handler)
    return handler(*this, loc, kind, msg.str());
  if (quiet)
    return;
  llvm::SMLoc smLoc = sourceMgr.FindLocForLineAndColumn(
      bufferId, std::max(loc.line, 1u), std::max(loc.col, 1u));
  sourceMgr.PrintMessage(llvm::errs(), smLoc, kind, msg);
}

void SourceFile::error(Location loc, const llvm::Twine &msg) {
  report(loc, llvm::SourceMgr::DK_Error, msg);
}
void SourceFile::warning(Location loc, const llvm::Twine &msg) {
  report(loc, llvm::SourceMgr::DK_Warning, msg);
}
void SourceFile::note(Location loc, const llvm::Twine &msg) {
  report(loc, llvm::SourceMgr::DK_Note, msg);
}
