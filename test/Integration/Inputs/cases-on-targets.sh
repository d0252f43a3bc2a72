#!/usr/bin/env bash
# cases-on-targets.sh: compiles a spec's kernel for every target listed in
# <dir>/targets (one of x86-64-avx2, x86-64-avx512, aarch64, cpp per line:
# the ones this machine can run), builds cases_check.cpp around it and runs
# the cases `fac-check --write-cases` wrote in <dir>/<name> (tolerance 1e-5
# relative). Prints each case's line prefixed by the target, then the
# targets it ran on; exits non-zero on the first failure.
#
#   cases-on-targets.sh <dir> <name> <spec> <kernel> <scalars|-> [facc flags]
#
# <scalars>: the kernel's scalar arguments before its tensors ("8, 5"), or
# - for none. The toolchains come from the environment, as lit substitutes
# them: FACC, HOST_CXX, FACRT_LIB, KERNEL_SRCS, CASES_CHECK, and for their
# targets AARCH64_CXX, AARCH64_RUNTIME, AARCH64_OPENMP, RUN_AARCH64, GXX.
set -euo pipefail
dir=$1 name=$2 spec=$3 kernel=$4 scalars=$5
shift 5
defines=(-DFAC_KERNEL="$kernel")
if [[ $scalars == - ]]; then
  defines+=(-DFAC_ATTENTION)
else
  defines+=("-DFAC_SCALARS=$scalars")
fi
out=$dir/$name
$FACC -emit=header "$@" "$spec" -o "$out.h"
ran=()
while read -r target; do
  [[ -n $target ]] || continue
  exe=$out.$target.exe
  case $target in
  x86-64-*)
    $FACC -emit=obj --target="$target" "$@" "$spec" -o "$out.$target.o"
    $HOST_CXX "${defines[@]}" -include "$out.h" "$CASES_CHECK" \
      "$out.$target.o" $FACRT_LIB -lm -o "$exe"
    run=("$exe") ;;
  aarch64)
    $FACC -emit=obj --target=aarch64 "$@" "$spec" -o "$out.arm.o"
    $AARCH64_CXX "${defines[@]}" -include "$out.h" "$CASES_CHECK" \
      "$out.arm.o" $AARCH64_RUNTIME $AARCH64_OPENMP -lm -o "$exe"
    run=($RUN_AARCH64 "$exe") ;;
  cpp)
    $FACC -emit=cpp "$@" "$spec" -o "$out.cpp"
    $GXX -Wall -Wextra -Werror "${defines[@]}" -include "$out.h" \
      "$CASES_CHECK" "$out.cpp" $KERNEL_SRCS -lm -o "$exe"
    run=("$exe") ;;
  *)
    echo "cases-on-targets.sh: unknown target $target" >&2
    exit 2 ;;
  esac
  "${run[@]}" 1e-5 "$dir/$name"/*.case | sed "s/^/$target: /"
  ran+=("$target")
done <"$dir/targets"
echo "$name ran on: ${ran[*]}"
