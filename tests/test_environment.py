"""The environment: no Java, an unbuilt or incomplete Java side, MXNet natives that do not load,
--device gpu without a GPU, a JVM already started with another classpath, and Java exceptions
crossing into Python. Each runs in a fresh process with a manipulated environment."""
from __future__ import annotations

import os
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


def test_gpu_without_gpu_is_refused_before_the_jvm(corpus: Path) -> None:
    proc = run_cli(["train", *SMALL, "--data", str(corpus), "--device", "gpu"],
                   env={"CUDA_VISIBLE_DEVICES": "-1"})
    line = _one_error_line(proc)
    assert line.startswith("djl-bridge: error: --device gpu: ") and line.endswith("use --device cpu")
    assert "\tat djlbridge." not in proc.stderr


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


# --- Java, classpath and natives given as garbage (issue #8): one line each, doctor reports them.

def _garbage_jdk(tmp_path: Path) -> Path:
    home = tmp_path / "jdk"
    (home / "lib" / "server").mkdir(parents=True)
    (home / "lib" / "server" / "libjvm.so").write_bytes(bytes(range(256)) * 64)
    return home


def test_java_home_with_a_garbage_libjvm(corpus: Path, tmp_path: Path) -> None:
    home = _garbage_jdk(tmp_path)
    proc = run_cli(["train", *SMALL, "--data", str(corpus)], env={"JAVA_HOME": str(home)})
    line = _one_error_line(proc)
    assert f"JAVA_HOME={home} holds no usable JVM ({home}/lib/server/libjvm.so is not an ELF " \
           "shared library)" in line
    assert line.endswith("point JAVA_HOME at a JDK 11 or newer, or unset it to use `java` from "
                         "the PATH")


def test_binary_classpath_file(corpus: Path, tmp_path: Path) -> None:
    cp = tmp_path / "classpath.txt"
    cp.write_bytes(b"\xff\xfe\x00garbage\x89PNG\r\n\x1a\n" * 20)
    proc = run_cli(["train", *SMALL, "--data", str(corpus)], env={"DJL_BRIDGE_CLASSPATH": str(cp)})
    line = _one_error_line(proc)
    assert f"DJL_BRIDGE_CLASSPATH={cp} is not a classpath list (binary data, not UTF-8 text)" in line
    assert "unset DJL_BRIDGE_CLASSPATH" in line


def test_garbage_text_classpath_file(corpus: Path, tmp_path: Path) -> None:
    cp = tmp_path / "classpath.txt"
    cp.write_text(f"{jvm.find_classpath()[0]}\nnot\x00a jar.jar\n")
    proc = run_cli(["train", *SMALL, "--data", str(corpus)], env={"DJL_BRIDGE_CLASSPATH": str(cp)})
    assert "is not a classpath list (line 2 is not the path of a .jar: 'not\\x00a jar.jar')" \
        in _one_error_line(proc)
    fake = tmp_path / "djl-bridge-0.1.0.jar"
    fake.write_text("not a zip")
    cp.write_text(f"{fake}\n")
    proc = run_cli(["train", *SMALL, "--data", str(corpus)], env={"DJL_BRIDGE_CLASSPATH": str(cp)})
    assert f"{fake} (listed in DJL_BRIDGE_CLASSPATH={cp}) is not a jar (not a zip archive)" \
        in _one_error_line(proc)


def test_doctor_reports_garbage_java_and_classpath(tmp_path: Path) -> None:
    cp = tmp_path / "classpath.txt"
    cp.write_bytes(bytes(range(128, 256)))
    proc = run_cli(["doctor"], env={"JAVA_HOME": str(_garbage_jdk(tmp_path)),
                                    "DJL_BRIDGE_CLASSPATH": str(cp)})
    assert proc.returncode == 1 and "Traceback" not in proc.stderr + proc.stdout, proc.stderr
    assert "FAIL  java: JAVA_HOME=" in proc.stdout and "not an ELF shared library" in proc.stdout
    assert "FAIL  build: DJL_BRIDGE_CLASSPATH=" in proc.stdout and "binary data" in proc.stdout
    assert "engine:" not in proc.stdout


def test_mxnet_library_path_that_djl_would_ignore(corpus: Path, tmp_path: Path) -> None:
    # DJL skips these entries in silence and loads the classpath's natives instead.
    (tmp_path / "empty").mkdir()
    not_a_library = tmp_path / "libmxnet.so"
    not_a_library.write_text("#!/bin/sh\n")
    cases = {
        str(tmp_path / "nowhere" / "libmxnet.so"): "no such file or folder",
        str(tmp_path / "empty"): f"the folder {tmp_path / 'empty'} holds no libmxnet.so",
        str(corpus): f"DJL loads only a file named libmxnet.so, not {corpus.name}",
        str(not_a_library): f"{not_a_library} is not an ELF shared library",
    }
    for value, reason in cases.items():
        proc = run_cli(["train", *SMALL, "--data", str(corpus)], env={"MXNET_LIBRARY_PATH": value})
        line = _one_error_line(proc)
        assert f"from MXNET_LIBRARY_PATH={value} (" in line and reason in line, line
        assert line.endswith("or unset it to use the natives on the classpath (mxnet-native-mkl)")
    proc = run_cli(["doctor", "--data", str(corpus)],
                   env={"MXNET_LIBRARY_PATH": str(tmp_path / "empty")})
    assert proc.returncode == 1 and "FAIL  natives: DJL could not load the MXNet natives" in proc.stdout


def test_jvm_options_replace_the_tuned_ones() -> None:
    code = (
        "import djl_bridge, jpype\n"
        "djl_bridge.start(jvm_options=['-Xmx300m', '-XX:+UseSerialGC'])\n"
        "args = list(jpype.JClass('java.lang.management.ManagementFactory')"
        ".getRuntimeMXBean().getInputArguments())\n"
        "print(int(jpype.JClass('java.lang.Runtime').getRuntime().maxMemory()) // 2**20,\n"
        "      jpype.JClass('java.lang.System').getProperty('ai.djl.offline'),\n"
        "      '-Xmn48m' in args, '-XX:+UseParallelGC' in args, '-XX:+UseSerialGC' in args)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)
    assert proc.returncode == 0, proc.stderr
    max_mb, offline, xmn, parallel, serial = proc.stdout.split()
    assert 250 <= int(max_mb) <= 300 and offline == "true"
    assert (xmn, parallel, serial) == ("False", "False", "True")


def test_jvm_options_from_the_environment(corpus: Path) -> None:
    env = {"DJL_BRIDGE_JVM_OPTIONS": "-Xmx400m -XX:+UseSerialGC"}
    proc = run_cli(["train", *SMALL, "--data", str(corpus), "--json"], env=env)
    assert proc.returncode == 0, proc.stderr
    cases = {
        "-XX:+NoSuchOption": "the JVM refuses the options of DJL_BRIDGE_JVM_OPTIONS "
                             "(Unrecognized VM option 'NoSuchOption')",
        "-Xmx1k": "the JVM refuses the options of DJL_BRIDGE_JVM_OPTIONS (Too small",
        "Xmx2g": "DJL_BRIDGE_JVM_OPTIONS: 'Xmx2g' is not a JVM option",
        "-Dai.djl.offline=false": "-Dai.djl.offline=false is not allowed",
        "-Dx='unclosed": "cannot be split into options",
    }
    for value, message in cases.items():
        proc = run_cli(["train", *SMALL, "--data", str(corpus)],
                       env={"DJL_BRIDGE_JVM_OPTIONS": value})
        assert message in _one_error_line(proc), (value, proc.stderr)
