//===- fac-opt.cpp - The FAC optimizer driver -----------------------------===//
//
// MlirOptMain with the fac dialect, the FAC passes and pipelines, and the
// upstream dialects and passes the pipelines use, for lit tests of every
// pass in isolation. The output file is opened and closed here, so that a
// failed write is a located I/O error rather than an LLVM fatal error.
//
//===----------------------------------------------------------------------===//

#include "fac/InitFAC.h"
#include "fac/Support/ToolOutput.h"
#include "fac/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"

namespace {
/// fac-opt's exit codes.
enum ExitCode : int {
  kExitSuccess = 0,
  kExitFailure = 1, ///< Invalid IR, or a pass failed; reported.
  kExitIOError = 3  ///< The input or the output file failed.
};
} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  mlir::registerTransformsPasses();
  mlir::registerConversionPasses();
  fac::registerFACPasses();
  fac::registerPipelines();

  mlir::DialectRegistry registry;
  fac::registerFACDialects(registry);
  auto [inputFilename, outputFilename] = mlir::registerAndParseCLIOptions(
      argc, argv, "FAC optimizer driver\n", registry);
  mlir::MlirOptMainConfig config =
      mlir::MlirOptMainConfig::createFromCLOptions();
  if (config.shouldShowDialects())
    return mlir::asMainReturnCode(
        mlir::MlirOptMain(argc, argv, inputFilename, outputFilename, registry));

  std::string error;
  std::unique_ptr<llvm::MemoryBuffer> input =
      mlir::openInputFile(inputFilename, &error);
  if (!input) {
    llvm::errs() << "fac-opt: error: " << error << "\n";
    return kExitIOError;
  }
  std::unique_ptr<llvm::ToolOutputFile> output =
      mlir::openOutputFile(outputFilename, &error);
  if (!output) {
    llvm::errs() << "fac-opt: error: " << error << "\n";
    return kExitIOError;
  }
  if (mlir::failed(
          mlir::MlirOptMain(output->os(), std::move(input), registry, config)))
    return kExitFailure;
  return fac::keepToolOutput(*output, "fac-opt", outputFilename) ? kExitSuccess
                                                                 : kExitIOError;
}
