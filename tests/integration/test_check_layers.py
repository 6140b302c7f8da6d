"""scripts/check-layers.py (issue 16): the include directions of docs/architecture.md."""
import subprocess
import sys
import textwrap
from pathlib import Path

from conftest import REPO

SCRIPT = REPO / "scripts" / "check-layers.py"

TABLE = """\
# architecture

### Module layers

| Module | Is | May include | Tests may also include |
|---|---|---|---|
| `util` | helpers | — | — |
| `model` | values | `util` | — |
| `plan` | the planner | `model`, `util` | `bench` |
| `cli` | commands | `plan`, `model`, `util` | — |
| `bench` | generator | — | — |

## Next section

| Module | May include |
|---|---|
| `util` | `cli` |
"""


def tree(root: Path, files: dict, table: str = TABLE):
    (root / "docs").mkdir(parents=True, exist_ok=True)
    (root / "docs" / "architecture.md").write_text(table, encoding="utf-8")
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


def run(root: Path):
    proc = subprocess.run([sys.executable, str(SCRIPT), "--root", str(root)],
                          capture_output=True, text=True, timeout=60)
    return proc.returncode, proc.stdout, proc.stderr


GOOD = {
    "src/util/log.h": "#pragma once\n#include <string>\n",
    "src/model/user.h": '#pragma once\n#include "util/log.h"\n',
    "src/plan/planner.h": '#pragma once\n#include "model/user.h"\n#include "util/log.h"\n',
    "src/plan/detail/link.h": '#pragma once\n#include "plan/planner.h"\n',
    "src/plan/planner_test.cc": '#include "bench/lib/generator.h"\n#include "plan/planner.h"\n',
    "bench/lib/generator.h": "#pragma once\n",
    "cli/main.cc": '#include "cli/context.h"\n#include "plan/planner.h"\n',
    "cli/context.h": "#pragma once\n",
}


def test_the_repository_follows_its_own_table():
    code, out, err = run(REPO)
    assert code == 0, out + err
    assert "follow docs/architecture.md" in out


def test_includes_that_follow_the_table_pass(tmp_path):
    tree(tmp_path, GOOD)
    code, out, err = run(tmp_path)
    assert code == 0, out + err
    assert out.startswith("check-layers: 8 includes in 7 files")


def test_an_upward_include_is_listed_with_file_line_and_modules(tmp_path):
    files = dict(GOOD)
    files["src/model/user.h"] = '#pragma once\n#include "util/log.h"\n#include "plan/planner.h"\n'
    files["src/util/log.h"] = '#pragma once\n\n#include "cli/context.h"\n'
    tree(tmp_path, files)
    code, out, _ = run(tmp_path)
    assert code == 1
    assert out.splitlines() == ["src/model/user.h:3: model -> plan", "src/util/log.h:3: util -> cli"]


def test_only_tests_get_the_last_column(tmp_path):
    files = dict(GOOD)
    files["src/plan/planner.cc"] = '#include "bench/lib/generator.h"\n'
    files["src/plan/planner_fuzz.cc"] = '#include "bench/lib/generator.h"\n'
    tree(tmp_path, files)
    code, out, _ = run(tmp_path)
    assert code == 1
    assert out.splitlines() == ["src/plan/planner.cc:1: plan -> bench"]


def test_an_include_that_names_no_module_fails(tmp_path):
    files = dict(GOOD)
    files["src/plan/planner.cc"] = '#include "yaml-cpp/yaml.h"\n#include "planner.h"\n'
    tree(tmp_path, files)
    code, out, _ = run(tmp_path)
    assert code == 1
    # "planner.h" resolves beside the includer; "yaml-cpp/yaml.h" resolves nowhere.
    assert out.splitlines() == ['src/plan/planner.cc:1: plan -> ? ("yaml-cpp/yaml.h" names no module)']


def test_a_cycle_in_the_table_fails(tmp_path):
    tree(tmp_path, GOOD, TABLE.replace("| `util` | helpers | — |", "| `util` | helpers | `plan` |"))
    code, out, _ = run(tmp_path)
    assert code == 1
    assert "docs/architecture.md: the arrows have a cycle: model -> util -> plan -> model" in out


def test_a_module_without_a_row_fails(tmp_path):
    files = dict(GOOD)
    files["src/store/store.h"] = '#pragma once\n#include "model/user.h"\n'
    tree(tmp_path, files)
    code, out, _ = run(tmp_path)
    assert code == 1
    assert "docs/architecture.md: src/store/ has no row in the Module layers table" in out


def test_a_missing_section_is_its_own_exit_code(tmp_path):
    tree(tmp_path, GOOD, "# architecture\n\nno table here\n")
    code, _, err = run(tmp_path)
    assert code == 2
    assert "no 'Module layers' section" in err
