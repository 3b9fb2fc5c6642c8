"""The environment: no Java, an unbuilt or incomplete Java side, MXNet natives that do not load,
--device gpu without a GPU, a JVM already started with another classpath, Java exceptions
crossing into Python, MXNet out of memory, JVM logging kept off stdout, an address-space limit,
DJL's engine cache in a bad place. Most run in a fresh process with a manipulated environment."""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path
from typing import Callable, Optional

import pytest

from djl_bridge import jvm

from .conftest import ROOT, T1, TINY, one_error, run_cli

SMALL = ["--epochs", "1", "--hidden", "8", "--batch-size", "2", "--num-steps", "5",
         "--max-tokens", "300"]


def _one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 1, (proc.returncode, proc.stderr)
    lines = [line for line in proc.stderr.strip().splitlines()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("djl-bridge: error: ") and "Traceback" not in proc.stderr
    return lines[0]


@pytest.mark.subprocess
def test_no_java(corpus: Path) -> None:
    proc = run_cli(["train", *SMALL, "--data", str(corpus)],
                   env={"JAVA_HOME": "", "PATH": "/nonexistent"})
    line = _one_error_line(proc)
    assert "no Java found: install a JDK 11 or newer" in line and "set JAVA_HOME" in line


@pytest.mark.subprocess
def test_java_home_pointing_nowhere(corpus: Path, tmp_path: Path) -> None:
    proc = run_cli(["train", *SMALL, "--data", str(corpus)], env={"JAVA_HOME": str(tmp_path)})
    assert f"JAVA_HOME={tmp_path} holds no JVM" in _one_error_line(proc)


@pytest.mark.subprocess
def test_not_built(corpus: Path, tmp_path: Path) -> None:
    proc = run_cli(["train", *SMALL, "--data", str(corpus)],
                   env={"DJL_BRIDGE_CLASSPATH": str(tmp_path / "classpath.txt")})
    line = _one_error_line(proc)
    assert "the Java side is not built" in line and "run `gradle assemble`" in line


@pytest.mark.subprocess
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


@pytest.mark.subprocess
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


@pytest.mark.subprocess
def test_bogus_mxnet_library_path(corpus: Path, tmp_path: Path) -> None:
    bogus = tmp_path / "libmxnet.so"
    bogus.write_bytes(b"not a library")
    proc = run_cli(["train", *SMALL, "--data", str(corpus)], env={"MXNET_LIBRARY_PATH": str(bogus)})
    line = _one_error_line(proc)
    assert f"from MXNET_LIBRARY_PATH={bogus}" in line and "or unset it" in line


@pytest.mark.subprocess
def test_gpu_without_gpu_is_refused_before_the_jvm(corpus: Path) -> None:
    proc = run_cli(["train", *SMALL, "--data", str(corpus), "--device", "gpu"],
                   env={"CUDA_VISIBLE_DEVICES": "-1"})
    line = _one_error_line(proc)
    assert line.startswith("djl-bridge: error: --device gpu: ") and line.endswith("use --device cpu")
    assert "\tat djlbridge." not in proc.stderr


@pytest.mark.subprocess
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


# --- Java, classpath and natives given as garbage: one line each, doctor reports them.

def _garbage_jdk(tmp_path: Path) -> Path:
    home = tmp_path / "jdk"
    (home / "lib" / "server").mkdir(parents=True)
    (home / "lib" / "server" / "libjvm.so").write_bytes(bytes(range(256)) * 64)
    return home


@pytest.mark.subprocess
def test_java_home_with_a_garbage_libjvm(corpus: Path, tmp_path: Path) -> None:
    home = _garbage_jdk(tmp_path)
    proc = run_cli(["train", *SMALL, "--data", str(corpus)], env={"JAVA_HOME": str(home)})
    line = _one_error_line(proc)
    assert f"JAVA_HOME={home} holds no usable JVM ({home}/lib/server/libjvm.so is not an ELF " \
           "shared library)" in line
    assert line.endswith("point JAVA_HOME at a JDK 11 or newer, or unset it to use `java` from "
                         "the PATH")


@pytest.mark.subprocess
def test_binary_classpath_file(corpus: Path, tmp_path: Path) -> None:
    cp = tmp_path / "classpath.txt"
    cp.write_bytes(b"\xff\xfe\x00garbage\x89PNG\r\n\x1a\n" * 20)
    proc = run_cli(["train", *SMALL, "--data", str(corpus)], env={"DJL_BRIDGE_CLASSPATH": str(cp)})
    line = _one_error_line(proc)
    assert f"DJL_BRIDGE_CLASSPATH={cp} is not a classpath list (binary data, not UTF-8 text)" in line
    assert "unset DJL_BRIDGE_CLASSPATH" in line


@pytest.mark.subprocess
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


@pytest.mark.subprocess
def test_doctor_reports_garbage_java_and_classpath(tmp_path: Path) -> None:
    cp = tmp_path / "classpath.txt"
    cp.write_bytes(bytes(range(128, 256)))
    proc = run_cli(["doctor"], env={"JAVA_HOME": str(_garbage_jdk(tmp_path)),
                                    "DJL_BRIDGE_CLASSPATH": str(cp)})
    assert proc.returncode == 1 and "Traceback" not in proc.stderr + proc.stdout, proc.stderr
    assert "FAIL  java: JAVA_HOME=" in proc.stdout and "not an ELF shared library" in proc.stdout
    assert "FAIL  build: DJL_BRIDGE_CLASSPATH=" in proc.stdout and "binary data" in proc.stdout
    assert "engine:" not in proc.stdout


@pytest.mark.subprocess
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


@pytest.mark.subprocess
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


@pytest.mark.subprocess
@pytest.mark.slow
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


# ----------------------------------------------------------------- one line, never a Java trace

def _limit_address_space() -> None:
    # 6 GiB of address space: enough for the JVM and MXNet, not for a 40000 x 40000 matrix, so
    # the allocation fails at once instead of pushing the machine into the OOM killer.
    resource.setrlimit(resource.RLIMIT_AS, (6 << 30, 6 << 30))


@pytest.mark.subprocess
@pytest.mark.slow
@pytest.mark.parametrize("impl, expected", [
    # --hidden 40000 (an array over MXNet 1.9.1's 2^31 elements for concise) is refused by its
    # size before any JVM now (tests/test_model_size.py); 13000 fits a checkpoint, not 6 GiB
    ("scratch", "MXNet could not allocate memory for the model"),
    ("concise", "MXNet could not allocate memory for the model"),
])
def test_mxnet_out_of_memory_is_one_line(corpus: Path, impl: str, expected: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "djl_bridge.cli", "train", "--impl", impl, "--hidden", "13000",
         "--batch-size", "4", "--num-steps", "5", "--max-tokens", "800", "--epochs", "1",
         "--data", str(corpus)],
        capture_output=True, text=True, cwd=ROOT, timeout=300, preexec_fn=_limit_address_space,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    building, *rest = proc.stderr.splitlines()
    assert building.startswith("djl-bridge: building the model (")  # 508 M parameters
    proc.stderr = "\n".join(rest)
    line = one_error(proc)
    assert expected in line and "lower --hidden" in line
    if impl == "concise":  # --debug adds the Java stack trace of the same error
        debug = subprocess.run(proc.args + ["--debug"], capture_output=True, text=True, cwd=ROOT,
                               timeout=300, preexec_fn=_limit_address_space,
                               env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert debug.returncode == 1 and "ai.djl.engine.EngineException" in debug.stderr
        assert debug.stderr.strip().splitlines()[-1] == line


def test_a_java_error_escaping_a_call_is_still_one_line(jvm: None) -> None:
    import jpype

    from djl_bridge.bridge import java_errors
    from djl_bridge.errors import ConfigError, JavaError

    with pytest.raises(ConfigError, match=r"^unknown model 'x' \(TrainConfig.model\): use one of gru, lstm, rnn$"):
        with java_errors():  # IllegalArgumentException -> ConfigError, subclass-aware
            jpype.JClass("djlbridge.TrainSettings").builder().setModel("x").setDataPath("d").build()
    with pytest.raises(JavaError) as info:
        with java_errors():
            jpype.JClass("java.util.ArrayList")().get(3)
    assert info.value.java_class == "java.lang.IndexOutOfBoundsException"
    assert "\n" not in str(info.value) and "java.util.ArrayList.get" in info.value.java_trace


class _BrokenModel:
    """Not a model: its getParams() fails on the Java side (an IndexOutOfBoundsException)."""

    def getParams(self) -> object:  # noqa: N802 - the Java name
        import jpype

        return jpype.JClass("java.util.ArrayList")().get(0)


def test_weights_helpers_raise_python_errors(jvm: None) -> None:
    from djl_bridge.bridge import weights
    from djl_bridge.errors import JavaError

    with pytest.raises(JavaError, match="Index 0 out of bounds for length 0"):
        weights.get_weights(_BrokenModel())


# ------------------------------------------------------------------- nothing on stdout but that

@pytest.mark.subprocess
@pytest.mark.slow
@pytest.mark.parametrize("java_options", ["-Xlog:gc", "-Xmx8m"])
def test_jvm_logging_never_reaches_stdout(corpus: Path, tmp_path: Path,
                                          java_options: str) -> None:
    env = {"_JAVA_OPTIONS": java_options}
    proc = run_cli(["train", *T1, "--data", str(corpus), "--epochs", "1", "--json",
                    "--checkpoint-dir", str(tmp_path / "ck")], env=env)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["epochs_done"] == 1  # the JSON, and nothing before it
    assert "[gc" in proc.stderr  # the JVM's lines are moved to stderr, not lost
    proc = run_cli(["predict", "--checkpoint", str(tmp_path / "ck"), "--num-preds", "5"],
                   env=env)
    assert proc.returncode == 0 and proc.stdout.startswith("time traveller"), proc.stderr
    assert len(proc.stdout.splitlines()) == 1


# --------------------------------------------------------------- address-space limits, one line

def _cli_under_limit(kib: int, args: list[str],
                     env: Optional[dict[str, str]] = None) -> subprocess.CompletedProcess[str]:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (kib * 1024, kib * 1024))

    return subprocess.run([sys.executable, "-m", "djl_bridge.cli", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=300, preexec_fn=limit,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})


@pytest.mark.subprocess
@pytest.mark.parametrize("kib", [1_500_000, 4_000_000])  # main: the JVM's two lines; exit 134
def test_an_address_space_limit_too_low_is_one_line(corpus: Path, kib: int) -> None:
    proc = _cli_under_limit(kib, ["train", *T1, "--data", str(corpus), "--epochs", "1"])
    line = one_error(proc)
    assert line.startswith(f"djl-bridge: error: the address-space limit of this process "
                           f"(ulimit -v {kib}: ")
    assert "raise it (ulimit -v " in line


@pytest.mark.subprocess
@pytest.mark.slow
def test_the_address_space_a_run_needs_is_not_underestimated(corpus: Path) -> None:
    """At exactly the reservation the check computes, a run of the default options trains: the
    arithmetic errs on the high side, never into a crash."""
    from djl_bridge import jvm
    from djl_bridge.jvm import limits

    need = limits.reservation(jvm.JVM_OPTIONS).total
    args = ["train", *TINY, "--threads", str(jvm.usable_cpus()), "--data", str(corpus),
            "--epochs", "1"]  # the default count, chosen: no note
    proc = _cli_under_limit(-(-need // 1024), [*args, "--json"])
    assert proc.returncode == 0, proc.stderr
    line = one_error(_cli_under_limit(need // 1024 - 1024, args))
    assert "the address-space limit of this process" in line


@pytest.mark.subprocess
def test_the_suggested_smaller_reservation_trains(corpus: Path) -> None:
    from djl_bridge.jvm import limits

    small = limits.reservation(limits.SMALL_JVM_OPTIONS, arenas=limits.SMALL_ARENAS).total
    proc = _cli_under_limit(-(-small // 1024), [
        "train", *T1, "--data", str(corpus), "--epochs", "1", "--json"],
        env={"MALLOC_ARENA_MAX": str(limits.SMALL_ARENAS),
             "DJL_BRIDGE_JVM_OPTIONS": " ".join(limits.SMALL_JVM_OPTIONS)})
    assert proc.returncode == 0, proc.stderr


def test_a_natives_failure_under_a_limit_names_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    from djl_bridge import jvm

    monkeypatch.setattr(jvm.natives, "address_space_limit", lambda: 3_000_000 * 1024)
    message = jvm.native_error_message(
        "Unable to load library 'x/libmxnet.so': x/libmxnet.so: failed to map segment from "
        "shared object")
    assert message.startswith("the MXNet natives do not fit in this process's address space")
    assert "ulimit -v 3000000" in message and "mxnet-native-mkl" not in message


# -------------------------------------------------------------- DJL's engine cache, its own fix

@pytest.mark.subprocess
@pytest.mark.parametrize("variable", ["DJL_CACHE_DIR", "ENGINE_CACHE_DIR"])
def test_an_engine_cache_under_a_file_has_its_own_fix(corpus: Path, tmp_path: Path,
                                                      variable: str) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    line = one_error(run_cli(["train", *T1, "--data", str(corpus), "--epochs", "1"],
                             env={variable: str(a_file), "MXNET_LIBRARY_PATH": ""}))
    assert line == (f"djl-bridge: error: DJL unpacks the MXNet natives into {a_file}/mxnet, but "
                    f"{a_file} is a file, not a directory: point {variable} at a writable "
                    "directory, or unset it to use ~/.djl.ai")


def test_an_unwritable_engine_cache_has_its_own_fix(tmpfs: Callable[[str], Path]) -> None:
    from djl_bridge.errors import NativeLibraryError
    from djl_bridge.jvm import natives

    ro = tmpfs("ro")
    with pytest.raises(NativeLibraryError) as info:
        natives.check_engine_cache([f"-DDJL_CACHE_DIR={ro}"])
    assert str(info.value) == (f"DJL unpacks the MXNet natives into {ro}/mxnet, but {ro} is "
                               "not writable: point DJL_CACHE_DIR at a writable directory, or "
                               "unset it to use ~/.djl.ai")
    assert "mxnet-native-mkl" not in str(info.value)


def test_a_build_older_than_the_python_code_is_one_line(jvm: None) -> None:
    """A checkout whose jars predate its Python code (no `gradle assemble` after a pull): a class
    of djl_bridge's own that the jars lack says how to rebuild (it was JPype's raw TypeError)."""
    from djl_bridge.bridge import jclass
    from djl_bridge.errors import NotBuiltError

    with pytest.raises(NotBuiltError, match=r"^the Java build has no class djlbridge\.NoSuchTask: "
                                            r"it is older than this djl_bridge; rebuild it"):
        jclass("djlbridge.NoSuchTask")
    with pytest.raises(TypeError):  # not ours: as JPype says it
        jclass("com.example.NoSuchClass")
