"""Every README snippet marked `<!-- snippet: KIND -->` runs exactly as printed.

A marker sits on the line before a fenced block. Kinds:
- `shell`: each line is a command run with bash from the repository root.
- `c`, `cpp`, `python`, `go`, `java`: a whole program, written to a scratch folder
  (`app.c`, `app.cpp`, `app.py`, `main.go` in a module, `Diarize.java`). The `shell`
  snippet right after a `c`/`cpp` program is its build line, run in that folder
  (which links `include`, `target` and `examples` back to the repository). Each program
  is run on the example conversation as MP3 and must print `start end speaker` lines.
The Rust snippet is a doctest (`src/lib.rs` includes the README), so `cargo test` runs it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
AUDIO = "examples/data/conversation.mp3"
MARKER = re.compile(r"<!-- snippet: (\w+) -->\n```\w*\n(.*?)\n```", re.S)
SEGMENT = re.compile(r"^\s*\d+\.\d+\s+\d+\.\d+\s+\S+\s*$")


def snippets() -> list[tuple[str, str]]:
    found = MARKER.findall(README.read_text())
    assert found, "no marked snippets in README.md"
    return found


def program(kind: str) -> tuple[str, str | None]:
    """The one `kind` program of the README and the build line that follows it."""
    marked = snippets()
    at = [i for i, (k, _) in enumerate(marked) if k == kind]
    assert len(at) == 1, f"README.md has {len(at)} `{kind}` snippets, want 1"
    i = at[0]
    build = marked[i + 1][1] if i + 1 < len(marked) and marked[i + 1][0] == "shell" else None
    return marked[i][1], build


def environment() -> dict:
    env = dict(os.environ)
    env.setdefault("VOICEFLOW_HOME", str(ROOT / ".voiceflow"))
    env["PYTHONPATH"] = str(ROOT / "bindings" / "python" / "src")
    env["VOICEFLOW_LIB"] = str(ROOT / "target" / "release" / "libvoiceflow.so")
    env.update(GOFLAGS="-mod=mod", GOPROXY="off", GOTOOLCHAIN="local")
    return env


def run(command: list[str] | str, cwd: Path, timeout: int = 600) -> str:
    done = subprocess.run(
        command,
        cwd=cwd,
        env=environment(),
        shell=isinstance(command, str),
        executable="/bin/bash" if isinstance(command, str) else None,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, (
        f"{command} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    )
    return done.stdout


def scratch(tmp_path: Path) -> Path:
    """A folder that looks like the repository root to relative paths."""
    for name in ("include", "target", "examples"):
        (tmp_path / name).symlink_to(ROOT / name)
    return tmp_path


def check_segments(output: str) -> None:
    lines = [line for line in output.splitlines() if SEGMENT.match(line)]
    assert len(lines) >= 5, f"expected segment lines, got:\n{output}"
    assert len({line.split()[2] for line in lines}) >= 2, output


def test_shell_lines_run_from_the_repository_root():
    builds = {program(kind)[1] for kind in ("c", "cpp")}
    commands = [body for kind, body in snippets() if kind == "shell" and body not in builds]
    assert commands
    for body in commands:
        for line in body.splitlines():
            command = line.split("  #")[0].strip()
            if command:
                run(command, ROOT)


@pytest.mark.parametrize("kind,source", [("c", "app.c"), ("cpp", "app.cpp")])
def test_c_and_cpp_programs_build_with_the_printed_line_and_run(tmp_path, kind, source):
    code, build = program(kind)
    assert build, f"the {kind} program needs its build line right after it"
    folder = scratch(tmp_path)
    (folder / source).write_text(code + "\n")
    run(build, folder)
    check_segments(run(["./app", AUDIO], folder))


def test_python_program(tmp_path):
    code, _ = program("python")
    folder = scratch(tmp_path)
    (folder / "app.py").write_text(code + "\n")
    check_segments(run([sys.executable, "app.py", AUDIO], folder))


def test_go_program(tmp_path):
    code, _ = program("go")
    folder = scratch(tmp_path)
    (folder / "main.go").write_text(code + "\n")
    module = "github.com/voiceflow/voiceflow/bindings/go"
    (folder / "go.mod").write_text(
        f"module app\n\ngo 1.19\n\nrequire {module} v0.0.0\n\n"
        f"replace {module} => {ROOT / 'bindings' / 'go'}\n"
    )
    run(["go", "build", "-o", "app", "."], folder)
    check_segments(run(["./app", AUDIO], folder))


def test_java_program(tmp_path):
    code, _ = program("java")
    folder = scratch(tmp_path)
    (folder / "Diarize.java").write_text(code + "\n")
    jar = ROOT / "target" / "java" / "voiceflow.jar"
    run(["javac", "-cp", str(jar), "-d", "classes", "Diarize.java"], folder)
    library_path = f"{ROOT / 'target' / 'java'}:{ROOT / 'target' / 'release'}"
    output = run(
        ["java", f"-Djava.library.path={library_path}", "-cp", f"classes:{jar}", "Diarize", AUDIO],
        folder,
    )
    check_segments(output)
