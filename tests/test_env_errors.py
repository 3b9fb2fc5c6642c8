"""The environment: no Java, an unbuilt or incomplete Java side, MXNet natives that do not load,
--device gpu without a GPU, a JVM already started with another classpath, and Java exceptions
crossing into Python. Each runs in a fresh process with a manipulated environment."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from djl_bridge import jvm

from .conftest import ROOT, run_cli

SMALL = ["--epochs", "1", "--hidden", "8", "--batch-size", "2", "--num-steps", "5",
         "--max-tokens", "300"]


def _one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 1, (proc.returncode, proc.stderr)
    lines = [line for line in proc.stderr.strip().splitlines()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("djl-bridge: error: ") and "Traceback" not in proc.stderr
    return lines[0]


def test_no_java(corpus: Path) -> None:
    proc = run_cli(["train", *SMALL, "--data", str(corpus)],
                   env={"JAVA_HOME": "", "PATH": "/nonexistent"})
    line = _one_error_line(proc)
    assert "no Java found: install a JDK 11 or newer" in line and "set JAVA_HOME" in line


def test_java_home_pointing_nowhere(corpus: Path, tmp_path: Path) -> None:
    proc = run_cli(["train", *SMALL, "--data", str(corpus)], env={"JAVA_HOME": str(tmp_path)})
    assert f"JAVA_HOME={tmp_path} holds no JVM" in _one_error_line(proc)


def test_not_built(corpus: Path, tmp_path: Path) -> None:
    proc = run_cli(["train", *SMALL, "--data", str(corpus)],
                   env={"DJL_BRIDGE_CLASSPATH": str(tmp_path / "classpath.txt")})
    line = _one_error_line(proc)
    assert "the Java side is not built" in line and "run `gradle assemble`" in line


def test_incomplete_build(corpus: Path, tmp_path: Path) -> None:
    entries = jvm.find_classpath()
    cp = tmp_path / "classpath.txt"
    cp.write_text("\n".join(str(p) for p in entries) + f"\n{tmp_path / 'gone.jar'}\n")
    proc = run_cli(["train", *SMALL, "--data", str(corpus)], env={"DJL_BRIDGE_CLASSPATH": str(cp)})
    line = _one_error_line(proc)
    assert f"1 of {len(entries) + 1} jars missing, e.g. {tmp_path / 'gone.jar'}" in line
    cp.write_text("\n".join(str(p) for p in entries if not p.name.startswith("djl-bridge-")))
    proc = run_cli(["train", *SMALL, "--data", str(corpus)], env={"DJL_BRIDGE_CLASSPATH": str(cp)})
    assert "does not list the djl-bridge jar" in _one_error_line(proc)


def test_no_native_jar_offline(corpus: Path, tmp_path: Path) -> None:
    cp = tmp_path / "classpath.txt"
    cp.write_text("\n".join(str(p) for p in jvm.find_classpath() if "mxnet-native" not in p.name))
    proc = run_cli(["train", *SMALL, "--data", str(corpus)], env={
        "DJL_BRIDGE_CLASSPATH": str(cp), "ENGINE_CACHE_DIR": str(tmp_path / "engines"),
        "DJL_CACHE_DIR": str(tmp_path / "djl")})
    line = _one_error_line(proc)
    assert "DJL could not load the MXNet natives: none is on the classpath and DJL is offline" in line
    assert "run `gradle assemble`" in line
    assert not (tmp_path / "engines").exists() or not any((tmp_path / "engines").rglob("*.so"))


def test_bogus_mxnet_library_path(corpus: Path, tmp_path: Path) -> None:
    bogus = tmp_path / "libmxnet.so"
    bogus.write_bytes(b"not a library")
    proc = run_cli(["train", *SMALL, "--data", str(corpus)], env={"MXNET_LIBRARY_PATH": str(bogus)})
    line = _one_error_line(proc)
    assert f"from MXNET_LIBRARY_PATH={bogus}" in line and "or unset it" in line


def test_gpu_without_gpu_and_debug_trace(corpus: Path) -> None:
    proc = run_cli(["train", *SMALL, "--data", str(corpus), "--device", "gpu"])
    line = _one_error_line(proc)
    assert "--device gpu: DJL's MXNet engine sees no GPU" in line and "use --device cpu" in line
    assert "\tat djlbridge." not in proc.stderr
    proc = run_cli(["train", *SMALL, "--data", str(corpus), "--device", "gpu", "--debug"])
    assert proc.returncode == 1
    assert "java.lang.IllegalStateException" in proc.stderr
    assert "at djlbridge.TimeMachine.pickDevice" in proc.stderr


def test_jvm_started_with_another_classpath() -> None:
    code = (
        "import jpype, djl_bridge\n"
        "jpype.startJVM(convertStrings=False)\n"
        "try:\n"
        "    djl_bridge.start()\n"
        "except djl_bridge.JvmConflictError as e:\n"
        "    print('CONFLICT', e)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, timeout=120)
    assert proc.stdout.startswith("CONFLICT the JVM of this process was already started with "
                                  "another classpath"), proc.stdout + proc.stderr
    assert "run djl_bridge in a fresh process" in proc.stdout
