#!/usr/bin/env python3
"""The layering check (issue 16): every #include under src/ and cli/ points down.

The allowed arrows are the table in the "Module layers" section of docs/architecture.md; this
script parses that same table, so the drawing and the check cannot disagree. A file's module
is the first directory under src/ (src/plan/detail/rules.h is in `plan`) or `cli` for cli/.
An include "a/b.h" names the module `a`. An include is allowed when it stays in its module or
its module's row lists the target under "May include". Unit tests (*_test.cc), their shared
test support headers (*_testing.h) and fuzz targets (*_fuzz.cc) belong to the module whose directory they sit in, with the same arrows,
plus what the row's "Tests may also include" column lists (the bench/lib generator).

The table itself is checked too: every module under src/ has a row, every name in it is a
row, and the arrows have no cycle.

Exit 0 when everything follows the table; 1 with one line per offending include
("src/phone/phone.h:28: phone -> config") or table problem; 2 when the table is missing.
Usage: scripts/check-layers.py [--root DIR]   (DIR defaults to the repository root)
"""
import argparse
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
MODULE_NAME = re.compile(r"`([a-z_]+)`")
SOURCE_SUFFIXES = (".h", ".cc", ".cpp")
TEST_SUFFIXES = ("_test.cc", "_fuzz.cc", "_testing.h")
NONE_MARKS = {"", "-", "—", "nothing"}


def read_table(doc_path):
    """The rows of the Module layers table: {module: (may_include, tests_may_include)}."""
    try:
        text = open(doc_path, encoding="utf-8").read()
    except OSError as e:
        raise SystemExit(f"check-layers: cannot read {doc_path}: {e.strerror}") from None
    lines = text.splitlines()
    start = next((i for i, l in enumerate(lines)
                  if re.match(r"^#+\s.*\bModule layers\b", l)), None)
    if start is None:
        print(f"check-layers: {doc_path} has no 'Module layers' section", file=sys.stderr)
        sys.exit(2)
    level = len(lines[start]) - len(lines[start].lstrip("#"))
    header = None
    rows = {}
    for number, line in enumerate(lines[start + 1:], start + 2):
        heading = re.match(r"^(#+)\s", line)
        if heading and len(heading.group(1)) <= level:
            break  # the next section: the table ends with this one
        if not line.lstrip().startswith("|"):
            if header is not None and rows:
                break  # the first table of the section is the one
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            header = [c.lower() for c in cells]
            continue
        if all(set(c) <= set("-: ") for c in cells):
            continue  # the |---|---| line
        try:
            module_cell = cells[header.index("module")]
            may_cell = cells[header.index("may include")]
        except (ValueError, IndexError):
            print(f"{doc_path}:{number}: the table needs 'Module' and 'May include' columns",
                  file=sys.stderr)
            sys.exit(2)
        tests_cell = ""
        if "tests may also include" in header:
            tests_cell = cells[header.index("tests may also include")]
        names = MODULE_NAME.findall(module_cell)
        if len(names) != 1:
            print(f"{doc_path}:{number}: a row names one module in backticks (got "
                  f"{module_cell!r})", file=sys.stderr)
            sys.exit(2)

        def arrows(cell):
            if cell.strip().lower() in NONE_MARKS:
                return set()
            return set(MODULE_NAME.findall(cell))

        rows[names[0]] = (arrows(may_cell), arrows(tests_cell), number)
    if not rows:
        print(f"check-layers: {doc_path}: the Module layers section has no table",
              file=sys.stderr)
        sys.exit(2)
    return rows


def table_problems(rows, doc_path, src_modules):
    """Names the table uses without a row, modules with no row, and cycles."""
    problems = []
    for module, (may, tests, number) in sorted(rows.items()):
        for target in sorted((may | tests) - set(rows)):
            problems.append(f"{doc_path}:{number}: {module} -> {target}: {target} has no row")
        if module in may | tests:
            problems.append(f"{doc_path}:{number}: {module} lists itself")
    for module in sorted(src_modules - set(rows)):
        problems.append(f"{doc_path}: src/{module}/ has no row in the Module layers table")
    # A cycle, found by depth-first search over every arrow (tests' included).
    state = {}

    def visit(module, path):
        state[module] = "open"
        may, tests, _ = rows[module]
        for target in sorted((may | tests) & set(rows)):
            if state.get(target) == "open":
                cycle = path[path.index(target):] + [target]
                problems.append(f"{doc_path}: the arrows have a cycle: {' -> '.join(cycle)}")
            elif target not in state:
                visit(target, path + [target])
        state[module] = "done"

    for module in sorted(rows):
        if module not in state:
            visit(module, [module])
    return problems


def module_of(relative):
    """The module of a path under the root ("src/plan/x.h" -> "plan"), or None."""
    parts = relative.split("/")
    if parts[0] == "cli":
        return "cli"
    if parts[0] == "src" and len(parts) > 2:
        return parts[1]
    return None


def source_files(root):
    for top in ("src", "cli"):
        for directory, subdirs, files in os.walk(os.path.join(root, top)):
            subdirs.sort()
            for name in sorted(files):
                if name.endswith(SOURCE_SUFFIXES):
                    path = os.path.join(directory, name)
                    yield os.path.relpath(path, root).replace(os.sep, "/")


def include_target(root, relative, include):
    """The module an include names: its first directory when that is a module or a
    top-level directory (cli, bench), else the module of the includer's directory when the
    file sits there (a relative include)."""
    first = include.split("/")[0]
    if "/" in include and (os.path.isdir(os.path.join(root, "src", first)) or
                           os.path.isdir(os.path.join(root, first))):
        return first
    here = os.path.dirname(relative)
    if os.path.exists(os.path.join(root, here, include)):
        return module_of(relative)
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    args = parser.parse_args()
    root = args.root
    doc = "docs/architecture.md"
    rows = read_table(os.path.join(root, doc))
    src_modules = {d for d in os.listdir(os.path.join(root, "src"))
                   if os.path.isdir(os.path.join(root, "src", d))}
    problems = table_problems(rows, doc, src_modules)

    includes = 0
    files = 0
    for relative in source_files(root):
        files += 1
        module = module_of(relative)
        if module is None:
            problems.append(f"{relative}: not inside a module (src/<module>/ or cli/)")
            continue
        may, tests, _ = rows.get(module, (set(), set(), 0))
        allowed = may | (tests if relative.endswith(TEST_SUFFIXES) else set())
        with open(os.path.join(root, relative), encoding="utf-8", errors="replace") as f:
            for number, line in enumerate(f, 1):
                match = INCLUDE.match(line)
                if not match:
                    continue
                includes += 1
                target = include_target(root, relative, match.group(1))
                if target is None:
                    problems.append(f"{relative}:{number}: {module} -> ? "
                                    f"(\"{match.group(1)}\" names no module)")
                elif target != module and target not in allowed:
                    problems.append(f"{relative}:{number}: {module} -> {target}")

    if problems:
        for p in problems:
            print(p)
        print(f"check-layers: {len(problems)} problem(s); the allowed arrows are the "
              f"Module layers table in {doc}", file=sys.stderr)
        return 1
    print(f"check-layers: {includes} includes in {files} files follow {doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
