# -*- Python -*-
# lit configuration of the FAC test suite: tools, substitutions and the
# features that gate target tests (REQUIRES: aarch64-qemu, avx512, ...).

import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "FAC"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".fac", ".mlir", ".test"]
config.excludes = ["Inputs", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py",
                   "unittests"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.fac_obj_root, "test")

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.fac_tools_dir, append_path=True)

tool_dirs = [config.fac_tools_dir, config.llvm_tools_dir]
llvm_config.add_tool_substitutions(
    [ToolSubst("%facc", "facc", unresolved="fatal"),
     ToolSubst("%fac-opt", "fac-opt", unresolved="fatal"),
     ToolSubst("%fac-interp", "fac-interp", unresolved="fatal"),
     ToolSubst("%fac-check", "fac-check", unresolved="fatal")], tool_dirs)

runtime_include = os.path.join(config.fac_src_root, "runtime", "include")
runtime_src = os.path.join(config.fac_src_root, "runtime", "src")
config.substitutions.append(("%inputs", os.path.join(
    config.test_source_root, "Integration", "Inputs")))

# The sanitized suite (cmake -DFAC_SANITIZE=ON, `tools/fac-dev test
# --sanitize`): host programs that link the instrumented libfacrt.a are
# instrumented the same way (the flags of CMakeLists.txt).
sanitizer_flags = ""
if config.fac_sanitize:
    sanitizer_flags = ("-fsanitize=address,undefined "
                       "-fno-sanitize-recover=undefined "
                       "-fno-omit-frame-pointer ")
    # allow_user_poisoning=0: see tools/fac-dev.
    for name, value in (("ASAN_OPTIONS",
                         "detect_leaks=1:allow_user_poisoning=0:"
                         "exitcode=23"),
                        ("UBSAN_OPTIONS", "print_stacktrace=1")):
        config.environment[name] = os.environ.get(name, value)

# The build tree and the plain host compiler, for tests that install FAC
# and build projects against it with CMake.
config.substitutions.append(("%fac_build", config.fac_obj_root))
config.substitutions.append(("%host_cxx_path", config.host_cxx))
config.substitutions.append(("%sanitizer_flags", sanitizer_flags.strip()))
config.substitutions.append(("%host_cxx",
                             f"{config.host_cxx} -std=c++17 -O2 "
                             f"{sanitizer_flags}-I{runtime_include}"))
config.substitutions.append(("%facrt_include", runtime_include))
# The kernel-facing runtime as sources, for g++ (whose sanitizers are not
# clang's, so it cannot link the instrumented libfacrt.a).
config.substitutions.append(("%facrt_kernel_srcs",
                             os.path.join(runtime_src, "Core.cpp") + " " +
                             os.path.join(runtime_src, "Reference.cpp")))
config.substitutions.append(("%facrt_lib", os.path.join(config.fac_lib_dir,
                                                        "libfacrt_host.a") +
                             " " + os.path.join(config.fac_lib_dir,
                                                "libfacrt.a") +
                             " " + config.crypto_lib + " " +
                             config.openmp_lib + " -Wl,-rpath," +
                             os.path.dirname(config.openmp_lib)))
config.substitutions.append(("%openmp_lib", config.openmp_lib))

# GNU g++, for checking that the emitted C++ is portable beyond clang.
import shutil
gxx = shutil.which("g++")
if gxx:
    config.available_features.add("gxx")
    # g++ instruments with its own sanitizer runtime, so its programs build
    # the runtime from %facrt_kernel_srcs rather than link clang's archive.
    config.substitutions.append(
        ("%gxx", f"{gxx} -std=c++17 -O2 {sanitizer_flags}"
                 f"-I{runtime_include}"))

# AArch64: cross-compiled and run under qemu-aarch64 (no binfmt_misc),
# linked with Debian's arm64 libomp (kernels' parallel loops). Threads hang
# under qemu-aarch64 on these machines, so libomp runs serially there.
if config.aarch64_cxx and not config.aarch64_runtime:
    lit_config.fatal("the AArch64 cross compiler is there but libfacrt was "
                     "not cross-built for it")
if config.aarch64_cxx and config.qemu_aarch64 and not config.aarch64_openmp_dir:
    lit_config.warning("no arm64 libomp.so.5 (tools/fac-dev unpacks it): "
                       "the AArch64 tests are skipped")
if config.aarch64_cxx and config.qemu_aarch64 and config.aarch64_openmp_dir:
    config.available_features.add("aarch64-qemu")
    omp_dir = config.aarch64_openmp_dir
    config.substitutions.append(
        ("%aarch64_cxx", f"{config.aarch64_cxx} -std=c++17 -O2 "
                         f"-I{runtime_include}"))
    # libfacrt cross-built for AArch64 (test/CMakeLists.txt): after the
    # kernel objects on a link line.
    config.substitutions.append(("%facrt_aarch64_lib",
                                 config.aarch64_runtime))
    config.substitutions.append(("%aarch64_openmp_so",
                                 f"{omp_dir}/libomp.so.5"))
    config.substitutions.append(("%aarch64_openmp_dir", omp_dir))
    config.substitutions.append(
        ("%aarch64_openmp", f"{omp_dir}/libomp.so.5 -Wl,-rpath,{omp_dir}"))
    config.substitutions.append(
        ("%run_aarch64", f"env KMP_LIBRARY=serial OMP_NUM_THREADS=1 "
                         f"{config.qemu_aarch64} -L /usr/aarch64-linux-gnu"))

# Host CPU features, for running natively compiled kernels.
try:
    with open("/proc/cpuinfo") as f:
        flags = f.read()
    if " avx2" in flags:
        config.available_features.add("avx2")
    if " avx512f" in flags:
        config.available_features.add("avx512")
except OSError:
    pass

if os.path.exists(os.path.join(config.fac_data_dir, "stories260K",
                               "stories260K.bin")):
    config.available_features.add("fac-data")
config.substitutions.append(("%fac_data", config.fac_data_dir))
