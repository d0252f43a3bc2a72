#!/usr/bin/env python3
"""Checks editors/vscode/syntaxes/fac.tmLanguage.json against the language.

check-textmate-grammar.py GRAMMAR FAC.g4 SPEC...: every keyword of the ANTLR
grammar is highlighted as a keyword, and in each spec every comment is a
comment, every keyword a keyword, every declared operator symbol an
operator and every concept name a concept. Prints what is wrong and exits 1,
or prints a summary.
"""
import json
import re
import sys


def python_regex(pattern):
    # Oniguruma's \\x{HHHH} is Python's \\uHHHH; the rest is common ground.
    return re.sub(r"\\x\{([0-9A-Fa-f]{4})\}", r"\\u\1", pattern)


def rules(grammar):
    """The grammar's match rules in order: (regex, scope, captures)."""
    out = []

    def add(rule):
        if "include" in rule:
            for r in resolve(rule["include"]):
                add(r)
        elif "patterns" in rule:
            for r in rule["patterns"]:
                add(r)
        else:
            captures = {int(k): v["name"]
                        for k, v in rule.get("captures", {}).items()}
            out.append((re.compile(python_regex(rule["match"])),
                        rule.get("name"), captures))

    def resolve(name):
        return [grammar["repository"][name.lstrip("#")]]

    for rule in grammar["patterns"]:
        add(rule)
    return out


def tokenize(line, compiled):
    """(text, scope) pieces of one line, TextMate style: at each position
    the rule matching earliest wins, ties to the first rule."""
    pos, pieces = 0, []
    while pos < len(line):
        best = None
        for regex, scope, captures in compiled:
            m = regex.search(line, pos)
            if m and m.end() > m.start() and (best is None or
                                              m.start() < best[0].start()):
                best = (m, scope, captures)
        if not best:
            break
        m, scope, captures = best
        if captures:
            for group, name in captures.items():
                if m.group(group):
                    pieces.append((m.group(group), name))
        else:
            pieces.append((m.group(0), scope))
        pos = m.end()
    return pieces


def main():
    grammar = json.load(open(sys.argv[1], encoding="utf-8"))
    compiled = rules(grammar)
    errors = []
    g4 = open(sys.argv[2], encoding="utf-8").read()
    keywords = sorted(set(re.findall(r"'([A-Za-z]+)'", g4)))
    for word in keywords:
        scopes = [s for _, s in tokenize(word, compiled)]
        if not scopes or not any(s and (s.startswith("keyword") or
                                        s.startswith("storage") or
                                        s.startswith("constant"))
                                 for s in scopes):
            errors.append(f"keyword '{word}' of FAC.g4 is not highlighted "
                          f"(scopes {scopes})")
    symbols = re.search(r"OPSYM : \[(.*?)\]", g4).group(1)
    opsym = re.compile("[" + symbols.replace("\\u", "\\u") + "]")
    checked = 0
    for path in sys.argv[3:]:
        for number, line in enumerate(open(path, encoding="utf-8"), 1):
            line = line.rstrip("\n")
            pieces = tokenize(line, compiled)
            where = f"{path}:{number}"
            code, _, comment = line.partition("//")
            if comment and not any(s and s.startswith("comment")
                                   for _, s in pieces):
                errors.append(f"{where}: the comment is not a comment")
            # Each keyword and operator symbol written in the code must be
            # a piece of its own with a keyword scope.
            scoped = {(text, (scope or "").split(".")[0])
                      for text, scope in pieces}
            for word in re.findall(r"[A-Za-z_]\w*", re.sub(r'"[^"]*"', "",
                                                            code)):
                if word in keywords and not any(
                        (word, kind) in scoped
                        for kind in ("keyword", "storage", "constant")):
                    errors.append(f"{where}: keyword '{word}' is not "
                                  f"highlighted")
            for symbol in opsym.findall(code):
                if (symbol, "keyword.operator.symbol.fac") not in pieces:
                    errors.append(f"{where}: operator '{symbol}' is not "
                                  f"highlighted as an operator")
            concept = re.match(r"\s*([A-Za-z_]\w*)\s*:=\s*\(", code)
            if concept and (concept.group(1),
                            "entity.name.type.concept.fac") not in pieces:
                errors.append(f"{where}: concept '{concept.group(1)}' is "
                              f"not a concept name")
            checked += 1
    for e in errors:
        print(e)
    if errors:
        return 1
    print(f"grammar ok: {len(keywords)} keywords, {checked} lines of "
          f"{len(sys.argv) - 3} specs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
