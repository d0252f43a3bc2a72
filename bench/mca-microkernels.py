#!/usr/bin/env python3
"""The AArch64 micro-kernels under llvm-mca, for docs/results/speed.md.

AArch64 code cannot be timed under qemu, so run-speed asks LLVM's machine
code analyser instead: from the assembly facc writes for AArch64, this finds
the innermost loops densest in NEON FMAs (the score micro-kernel and the
P.V micro-kernel of the fused attention kernel) and the softmax's exp loop,
runs llvm-mca on each for Neoverse-N1 and Cortex-A76, and prints a
Markdown table: cycles per loop iteration against the core's FMA bound
(both cores issue two 128-bit FMAs per cycle), and the resource llvm-mca
names as the bottleneck.

Usage: mca-microkernels.py <facc> <spec.fac> <llvm-mca> <work dir>
"""

import re
import subprocess
import sys
from pathlib import Path

# Both cores have two ASIMD/FP pipes, each issuing one 128-bit FMA per cycle.
FMA_PER_CYCLE = 2
CPUS = ["neoverse-n1", "cortex-a76"]
LABEL = re.compile(r"^(\.LBB\d+_\d+):")
BRANCH = re.compile(r"^\s+(?:b\.\w+|b|cbnz|cbz|tbnz|tbz)\s+(?:\w+,\s*)*"
                    r"(?:#\d+,\s*)?(\.LBB\d+_\d+)")


def innermost_loops(lines):
    """(start, end) line ranges of loops: a label and a later branch back to
    it, with no other backward branch inside."""
    labels = {}
    loops = []
    for i, line in enumerate(lines):
        m = LABEL.match(line)
        if m:
            labels[m.group(1)] = i
        m = BRANCH.match(line)
        if m and m.group(1) in labels and labels[m.group(1)] < i:
            loops.append((labels[m.group(1)], i))
    return [(s, e) for s, e in loops
            if not any(s < s2 and e2 <= e and (s2, e2) != (s, e)
                       for s2, e2 in loops)]


def main():
    facc, spec, mca, work = sys.argv[1:5]
    work = Path(work)
    work.mkdir(parents=True, exist_ok=True)
    asm = work / "kernel.aarch64.s"
    subprocess.run([facc, "-emit=asm", "--target=aarch64", spec, "-o",
                    str(asm)], check=True)
    lines = asm.read_text().splitlines()
    loops = []
    for start, end in innermost_loops(lines):
        body = [l for l in lines[start + 1:end + 1]
                if l.strip() and not l.lstrip().startswith((".", "//"))]
        fmla = sum(1 for l in body if re.search(r"\bfmla\s+v\d+\.4s", l))
        loops.append((fmla, len(body), body))
    # The micro-kernels are the loops densest in FMAs (the score one has
    # more of them); the softmax's exp loop holds the most FMAs overall
    # (its polynomial), at a lower density.
    # Each kernel appears twice (the per-head and the whole-layer entry):
    # one loop per FMA count.
    dense = []
    for loop in sorted(loops, key=lambda x: -x[0] / x[1]):
        if loop[0] and all(loop[0] != d[0] for d in dense):
            dense.append(loop)
    dense = sorted(dense[:2], key=lambda x: -x[0])
    softmax = max(loops, key=lambda x: x[0])
    chosen = dense + [softmax]
    names = ["score micro-kernel (one step of d: 6 keys x 16 query lanes)",
             "P.V micro-kernel (one key: 4 columns x 16 query lanes)",
             "softmax (one score row: exp of 16 lanes, sum, store)"]
    print("| loop | CPU | instructions | NEON FMAs | cycles / iteration "
          "| FMA bound | FMA-bound share | llvm-mca bottleneck |")
    print("|---|---|---|---|---|---|---|---|")
    for (fmla, count, body), name in zip(chosen, names):
        path = work / f"loop{fmla}.s"
        path.write_text("\n".join(body) + "\n")
        for cpu in CPUS:
            out = subprocess.run(
                [mca, "-mtriple=aarch64", f"-mcpu={cpu}", "-iterations=1000",
                 "-bottleneck-analysis", str(path)],
                check=True, capture_output=True, text=True).stdout
            cycles = int(re.search(r"Total Cycles:\s+(\d+)", out).group(1))
            iterations = int(re.search(r"Iterations:\s+(\d+)", out).group(1))
            per = cycles / iterations
            bound = fmla / FMA_PER_CYCLE
            # The most loaded units of the resource-pressure analysis.
            units = re.findall(r"- (\w+)\s+\[\s*([\d.]+)%\s*\]",
                               out.split("Data Dependencies")[0])
            top = max((float(p) for _, p in units), default=0.0)
            neck = ", ".join(u for u, p in units if float(p) == top)
            neck = f"{neck} ({top:.0f}% of cycles)" if units else "none"
            print(f"| {name} | {cpu} | {count} | {fmla} | {per:.2f} | "
                  f"{bound:.1f} | {100 * bound / per:.0f}% | {neck} |")


if __name__ == "__main__":
    main()
