#!/usr/bin/env python3
"""Compiles every ```fac block of a Markdown document with facc.

Usage: check-doc-examples.py DOC.md FACC WORKDIR

A block compiles with `facc -emit=ast` and must succeed, unless the line
before the block is `<!-- expect-error: TEXT -->`: then facc must fail and
print an error containing TEXT. Prints one line per block and a summary
`N passed, M failed`; exits non-zero when any block fails.
"""
import os
import re
import subprocess
import sys


def blocks(text):
    """Yields (line number, expected error or None, code) per fac block."""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        if lines[i].strip() == "```fac":
            start = i + 1
            expect = None
            if i > 0:
                m = re.match(r"<!-- expect-error: (.*) -->", lines[i - 1].strip())
                if m:
                    expect = m.group(1)
            j = start
            while j < len(lines) and lines[j].strip() != "```":
                j += 1
            yield start + 1, expect, "\n".join(lines[start:j]) + "\n"
            i = j
        i += 1


def main():
    doc, facc, workdir = sys.argv[1:4]
    os.makedirs(workdir, exist_ok=True)
    with open(doc, encoding="utf-8") as f:
        text = f.read()
    passed = failed = 0
    for line, expect, code in blocks(text):
        path = os.path.join(workdir, f"example-line{line}.fac")
        with open(path, "w", encoding="utf-8") as f:
            f.write(code)
        run = subprocess.run([facc, "-emit=ast", path], capture_output=True,
                             text=True)
        if expect is None:
            ok = run.returncode == 0 and "error:" not in run.stderr
        else:
            ok = run.returncode != 0 and expect in run.stderr
        print(f"{os.path.basename(doc)}:{line}: {'ok' if ok else 'FAILED'}")
        if not ok:
            print(run.stderr, end="")
            failed += 1
        else:
            passed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
