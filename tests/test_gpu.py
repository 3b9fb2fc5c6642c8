"""GPU facts and the device decision (djl_bridge/gpu/), as plain functions of capability and
native facts; the library readers on small ELF files built here (and on the cuda11 wheel's
libmxnet.so when it is installed); the hooks in session.prepare() and the CLI on this machine."""
from __future__ import annotations

import os
import platform
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from djl_bridge import gpu, jvm
from djl_bridge.config import TrainConfig
from djl_bridge.errors import ConfigError
from djl_bridge.gpu import CPU_NATIVES, Gpu, Inventory, Natives, choose_device

from .conftest import ROOT, run_cli

CU112 = Natives(name="MXNet 1.9.1 CUDA 11.2 natives (PyPI mxnet-cu112)", library=Path("/x/libmxnet.so"),
                cuda="11.2", sass=gpu.CU112_ARCHS)
A100 = Gpu(0, "NVIDIA A100-SXM4-40GB", (8, 0))
H200 = Gpu(0, "NVIDIA H200", (9, 0))
DRIVER = "550.54.15"


def machine(*gpus: Gpu, driver: str = DRIVER) -> Inventory:
    return Inventory(tuple(gpus), driver, "12.4", None, "NVML")


NO_DRIVER = Inventory(error="no NVIDIA driver (libnvidia-ml.so.1 and libcuda.so.1 cannot be loaded)")


def refusal(requested_gpus: Inventory, natives: Natives) -> str:
    with pytest.raises(ConfigError) as info:
        choose_device("gpu", requested_gpus, natives)
    message = str(info.value)
    assert "\n" not in message and message.startswith("--device gpu: ")
    assert message.endswith("use --device cpu")
    return message


# --- which GPUs the natives run on ------------------------------------------------------------


@pytest.mark.parametrize("cap,runs", [
    ((5, 0), True), ((5, 2), True), ((6, 1), True), ((7, 0), True), ((7, 5), True),
    ((8, 0), True), ((8, 6), True), ((8, 9), True),  # sm_86 cubins run on 8.9 (same major)
    ((3, 7), False), ((9, 0), False), ((10, 0), False), ((12, 0), False),
])
def test_cu112_runs_on(cap: tuple[int, int], runs: bool) -> None:
    assert CU112.runs_on(cap) is runs


def test_ptx_runs_on_newer_gpus_and_cpu_build_on_none() -> None:
    with_ptx = Natives(name="x", cuda="11.8", sass=((8, 0),), ptx=((8, 0),))
    assert with_ptx.runs_on((9, 0)) and not with_ptx.runs_on((7, 5))
    assert with_ptx.range_text() == "8.0 and newer"
    assert CU112.range_text() == "5.0-8.x"
    assert CU112.arch_text() == "sm_50, sm_60, sm_70, sm_80, sm_86; no PTX"
    assert not CPU_NATIVES.is_cuda and not CPU_NATIVES.runs_on((8, 0))


# --- the decision -----------------------------------------------------------------------------


def test_cpu_is_always_granted() -> None:
    for inv in (NO_DRIVER, machine(H200), machine(A100)):
        for natives in (CPU_NATIVES, CU112):
            assert choose_device("cpu", inv, natives) == gpu.Decision("cpu")


def test_no_driver() -> None:
    assert choose_device("auto", NO_DRIVER, CU112) == gpu.Decision("cpu")
    assert choose_device("auto", NO_DRIVER, CPU_NATIVES) == gpu.Decision("cpu")
    assert "no NVIDIA driver" in refusal(NO_DRIVER, CU112)


def test_driver_without_gpus() -> None:
    assert choose_device("auto", machine(), CU112).device == "cpu"
    assert "lists no GPU" in refusal(machine(), CU112)


def test_supported_gpu_with_cuda_natives() -> None:
    assert choose_device("auto", machine(A100), CU112) == gpu.Decision("gpu", "", A100)
    assert choose_device("gpu", machine(A100), CU112).device == "gpu"
    ada = Gpu(0, "NVIDIA GeForce RTX 4090", (8, 9))
    assert choose_device("gpu", machine(ada), CU112).device == "gpu"


@pytest.mark.parametrize("natives", [CU112, CPU_NATIVES])
def test_hopper_is_refused_whatever_is_installed(natives: Natives) -> None:
    decision = choose_device("auto", machine(H200), natives)
    assert decision.device == "cpu"
    assert "NVIDIA H200 (GPU 0) is compute capability 9.0; MXNet 1.9.1 runs on 5.0-8.x" in decision.note
    assert decision.note.endswith("training on the CPU") and "\n" not in decision.note
    message = refusal(machine(H200), natives)
    assert "NVIDIA H200 (GPU 0) is compute capability 9.0; MXNet 1.9.1 runs on 5.0-8.x" in message
    assert "pip install" not in message  # installing the extra would not help


def test_supported_gpu_with_cpu_natives_names_the_extra() -> None:
    decision = choose_device("auto", machine(A100), CPU_NATIVES)
    assert decision.device == "cpu" and "pip install 'djl-bridge[cuda11]'" in decision.note
    message = refusal(machine(A100), CPU_NATIVES)
    assert "CPU-only" in message and "pip install 'djl-bridge[cuda11]'" in message
    assert "unset MXNET_LIBRARY_PATH" not in message
    mine = Natives(name="MXNET_LIBRARY_PATH=/opt/libmxnet.so", library=Path("/opt/libmxnet.so"))
    assert "unset MXNET_LIBRARY_PATH and run pip install" in refusal(machine(A100), mine)


def test_mixed_gpus_point_at_cuda_visible_devices() -> None:
    inv = machine(Gpu(0, "NVIDIA H100", (9, 0)), Gpu(1, "NVIDIA A100", (8, 0)))
    decision = choose_device("auto", inv, CU112)
    assert decision.device == "cpu" and "CUDA_VISIBLE_DEVICES=1" in decision.note
    assert "CUDA_VISIBLE_DEVICES=1" in refusal(inv, CU112)


def test_missing_cuda_library_and_old_driver() -> None:
    broken = Natives(name=CU112.name, library=CU112.library, cuda="11.2", sass=gpu.CU112_ARCHS,
                     missing=("libcudnn.so.8",))
    assert choose_device("auto", machine(A100), broken).device == "cpu"
    assert "libcudnn.so.8" in refusal(machine(A100), broken)
    old = machine(A100, driver="418.87.01")
    assert choose_device("auto", old, CU112).device == "cpu"
    assert "older than 450.80.02" in refusal(old, CU112)


def test_unknown_device() -> None:
    with pytest.raises(ConfigError, match="unknown device 'tpu'"):
        choose_device("tpu", machine(A100), CU112)


def test_cuda_visible_devices() -> None:
    inv = machine(Gpu(0, "NVIDIA H100", (9, 0)), Gpu(1, "NVIDIA A100", (8, 0)))
    assert gpu.visible(inv, None) == inv
    assert gpu.visible(inv, "1").gpus == (Gpu(0, "NVIDIA A100", (8, 0)),)
    assert gpu.visible(inv, "").gpus == () and gpu.visible(inv, "-1").gpus == ()
    assert gpu.visible(inv, "1,7,0").gpus == (Gpu(0, "NVIDIA A100", (8, 0)),)  # stops at 7
    assert gpu.visible(inv, "GPU-8d2c").gpus == inv.gpus


# --- reading libmxnet.so ----------------------------------------------------------------------


def fatbin(entries: list[tuple[int, int]]) -> bytes:
    """A fat binary as nvcc lays it out: a 16-byte header, then 64-byte entry headers (kind at
    byte 0, header size at 4, payload size at 8, architecture at 28), each with its payload."""
    body = b""
    for kind, arch in entries:
        payload = bytes([arch]) * 24
        header = struct.pack("<HHIQ", kind, 1, 64, len(payload)) + b"\0" * 12 \
            + struct.pack("<I", arch) + b"\0" * 32
        body += header + payload
    return struct.pack("<IHHQ", gpu.FATBIN_MAGIC, 1, 16, len(body)) + body


def elf(sections: dict[str, bytes], needed: list[str]) -> bytes:
    """A minimal 64-bit ELF shared object with the given sections and DT_NEEDED entries."""
    dynstr = b"\0"
    dynamic = b""
    for name in needed:
        dynamic += struct.pack("<qQ", 1, len(dynstr))
        dynstr += name.encode() + b"\0"
    dynamic += struct.pack("<qQ", 0, 0)
    all_sections = {**sections, ".dynstr": dynstr, ".dynamic": dynamic}
    shstrtab = b"\0"
    names = {}
    for name in [*all_sections, ".shstrtab"]:
        names[name] = len(shstrtab)
        shstrtab += name.encode() + b"\0"
    all_sections[".shstrtab"] = shstrtab
    data = b""
    offsets = {}
    for name, content in all_sections.items():
        offsets[name] = 64 + len(data)
        data += content + b"\0" * (-len(content) % 8)
    shoff = 64 + len(data)
    kinds = {".dynstr": 3, ".dynamic": 6, ".shstrtab": 3}
    headers = struct.pack("<IIQQQQIIQQ", *[0] * 10)
    for name, content in all_sections.items():
        headers += struct.pack("<IIQQQQIIQQ", names[name], kinds.get(name, 1), 0, 0,
                               offsets[name], len(content), 0, 0, 8, 0)
    ident = b"\x7fELF\x02\x01\x01" + b"\0" * 9
    header = struct.pack("<16sHHIQQQIHHHHHH", ident, 3, 62, 1, 0, 0, shoff, 0, 64, 0, 0, 64,
                         len(all_sections) + 1, len(all_sections))
    return header + data + headers


def test_reads_needed_libraries_and_fatbin_archs(tmp_path: Path) -> None:
    fat = fatbin([(2, 50), (2, 86)]) + b"\0" * 8 + fatbin([(2, 70), (1, 80)])
    lib = tmp_path / "libmxnet.so"
    lib.write_bytes(elf({".text": b"\x90" * 40, ".nv_fatbin": fat},
                        ["libcudart.so.11.0", "libcudnn.so.8", "libc.so.6"]))
    assert gpu.needed_libraries(lib) == ["libcudart.so.11.0", "libcudnn.so.8", "libc.so.6"]
    assert gpu.fatbin_archs(lib) == (((5, 0), (7, 0), (8, 6)), ((8, 0),))
    natives = gpu.describe_library(lib, "custom")
    assert natives.cuda == "11.0" and natives.sass == ((5, 0), (7, 0), (8, 6))
    assert natives.runs_on((9, 0))  # the PTX for 8.0 is compiled by the driver


def test_a_cpu_build_has_no_gpu_code(tmp_path: Path) -> None:
    lib = tmp_path / "libmxnet.so"
    lib.write_bytes(elf({".text": b"\x90" * 8}, ["libgomp.so.1", "libc.so.6"]))
    assert gpu.describe_library(lib, "cpu") == Natives(name="cpu", library=lib)
    not_elf = tmp_path / "bogus.so"
    not_elf.write_bytes(b"not a library at all, not even close to one....." * 2)
    with pytest.raises(ValueError):
        gpu.needed_libraries(not_elf)


@pytest.mark.skipif(not sys.platform.startswith("linux") or platform.machine() != "x86_64",
                    reason="the ELF files built here are x86-64 libraries")
def test_one_elf_reader_for_the_jvm_and_the_natives(tmp_path: Path) -> None:
    """The header that says whether libjvm or MXNET_LIBRARY_PATH's file loads is the header the
    section table of the GPU code is read after."""
    good = elf({".text": b"\x90" * 8}, ["libc.so.6"])
    lib = tmp_path / "libmxnet.so"
    lib.write_bytes(good)
    assert jvm.shared_library_problem(lib) == "" and gpu.needed_libraries(lib) == ["libc.so.6"]
    variants = {  # byte offset in the header -> the bytes put there, and what the reader says
        "exe": (16, struct.pack("<H", 2), "an ELF file but not a shared library"),
        "arm": (18, struct.pack("<H", 183), "built for another CPU (ELF machine 183), not x86_64"),
        "32": (4, b"\x01", "a 32-bit library, this Python is not 32-bit"),
    }
    for name, (at, patch, problem) in variants.items():
        other = tmp_path / f"{name}.so"
        other.write_bytes(good[:at] + patch + good[at + len(patch):])
        assert jvm.shared_library_problem(other) == problem
    for name in ("exe", "arm"):  # still a 64-bit little-endian file: its sections read
        assert gpu.needed_libraries(tmp_path / f"{name}.so") == ["libc.so.6"]
    with pytest.raises(ValueError, match="not a 64-bit little-endian ELF library"):
        gpu.needed_libraries(tmp_path / "32.so")
    (tmp_path / "short.so").write_bytes(good[:12])
    assert jvm.shared_library_problem(tmp_path / "short.so") == "a truncated ELF file"


def test_user_library_wins_and_is_described(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lib = tmp_path / "libmxnet.so"
    lib.write_bytes(elf({".nv_fatbin": fatbin([(2, 75)])}, ["libcudart.so.11.0"]))
    monkeypatch.setenv("MXNET_LIBRARY_PATH", str(lib))
    found = gpu.find_natives()
    assert found.name == f"MXNET_LIBRARY_PATH={lib}" and found.sass == ((7, 5),)
    monkeypatch.setenv("MXNET_LIBRARY_PATH", str(tmp_path / "nothing.so"))
    assert gpu.find_natives().name.endswith("(missing)")


@pytest.mark.skipif(gpu.wheel_library() is None, reason="the cuda11 extra is not installed")
def test_the_cuda11_wheel() -> None:
    natives = gpu.describe_library(gpu.wheel_library(), "wheel", wheel=True)  # type: ignore[arg-type]
    assert natives.sass == gpu.CU112_ARCHS and natives.ptx == ()
    assert natives.missing == () and natives.cuda == "11.2"
    assert set(gpu.needed_libraries(natives.library)) >= {  # type: ignore[arg-type]
        "libcudart.so.11.0", "libcublas.so.11", "libcusolver.so.11", "libcufft.so.10",
        "libcurand.so.10", "libnvrtc.so.11.2", "libnvToolsExt.so.1", "libcudnn.so.8",
        "libnccl.so.2", "libcuda.so.1", "libgomp.so.1"}


# --- pointing DJL at the wheel ----------------------------------------------------------------


def wheel_dirs(tmp_path: Path) -> tuple[Path, ...]:
    dirs = []
    for soname in gpu.CUDA_SONAMES:
        d = tmp_path / "nvidia" / soname.split(".")[0][3:] / "lib"
        d.mkdir(parents=True, exist_ok=True)
        (d / soname).write_bytes(b"")
        dirs.append(d)
    return tuple(dict.fromkeys(dirs))


def test_plan_uses_the_wheel_only_for_a_gpu_it_runs_on(tmp_path: Path) -> None:
    dirs = wheel_dirs(tmp_path)
    natives = Natives(name=CU112.name, library=tmp_path / "libmxnet.so", cuda="11.2",
                      sass=gpu.CU112_ARCHS, lib_dirs=dirs)
    plan = gpu.plan_natives(machine(A100), natives, user_set=False)
    assert plan.library == natives.library and len(plan.preload) == len(gpu.CUDA_SONAMES)
    assert [p.name for p in plan.preload] == list(gpu.CUDA_SONAMES)  # dependencies first
    assert plan.jvm_options == ("-Djna.library.path=" + ":".join(str(d) for d in dirs),)
    assert gpu.plan_natives(machine(H200), natives, False).library is None
    assert "9.0" in gpu.plan_natives(machine(H200), natives, False).reason
    assert gpu.plan_natives(NO_DRIVER, natives, False).jvm_options == ()
    assert gpu.plan_natives(machine(A100), natives, user_set=True).library is None
    assert gpu.plan_natives(machine(A100), CPU_NATIVES, False).library is None


def test_without_the_extra_nothing_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gpu.libmxnet, "wheel_library", lambda: None)
    monkeypatch.delenv("MXNET_LIBRARY_PATH", raising=False)
    plan = gpu.prepare_natives()
    assert plan.library is None and plan.jvm_options == ()
    assert "MXNET_LIBRARY_PATH" not in os.environ
    base = {"PATH": "/usr/bin", "LD_LIBRARY_PATH": "/opt/x"}
    assert gpu.java_child_env(base) == base and gpu.java_child_options(base) == []
    mine = {**base, "MXNET_LIBRARY_PATH": "/mine/libmxnet.so"}
    assert gpu.java_child_env(mine) == mine


def test_a_broken_cuda_library_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from djl_bridge.errors import NativeLibraryError

    dirs = wheel_dirs(tmp_path)  # empty files: the loader refuses them
    lib = tmp_path / "libmxnet.so"
    natives = Natives(name=CU112.name, library=lib, cuda="11.2", sass=gpu.CU112_ARCHS, lib_dirs=dirs)
    monkeypatch.delenv("MXNET_LIBRARY_PATH", raising=False)
    monkeypatch.setattr(gpu.libmxnet, "wheel_library", lambda: lib)
    monkeypatch.setattr(gpu.driver, "inventory", lambda: machine(A100))
    monkeypatch.setattr(gpu.libmxnet, "find_natives", lambda: natives)
    with pytest.raises(NativeLibraryError) as info:
        gpu.prepare_natives()
    message = str(info.value)
    assert "\n" not in message and "libcudart.so.11.0 of the cuda11 extra does not load" in message
    assert "MXNET_LIBRARY_PATH" not in os.environ


# --- the hooks on this machine ----------------------------------------------------------------


def test_prepare_resolves_the_device_before_the_jvm(corpus: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    from djl_bridge.session import prepare

    small = TrainConfig(epochs=1, hidden=8, batch_size=2, num_steps=3, max_tokens=200, data=corpus)
    monkeypatch.setattr(gpu.driver, "inventory", lambda: machine(H200))
    assert prepare(small).device == "cpu"
    note = capsys.readouterr().err
    assert note.count("\n") == 1 and "compute capability 9.0" in note and "training on the CPU" in note
    with pytest.raises(ConfigError, match="compute capability 9.0.*use TrainConfig.device cpu"):
        prepare(TrainConfig(**{**small.__dict__, "device": "gpu"}))
    monkeypatch.setattr(gpu.driver, "inventory", lambda: NO_DRIVER)
    assert prepare(small).device == "auto" and capsys.readouterr().err == ""
    with pytest.raises(ConfigError, match="TrainConfig.device gpu: no NVIDIA driver"):
        prepare(TrainConfig(**{**small.__dict__, "device": "gpu"}))


def test_doctor_lines_are_one_line_each() -> None:
    rows = gpu.doctor_lines()
    names = [name for name, _, _ in rows]
    assert names[0] == "nvidia" and names[-2:] == ["cuda libs", "device"]
    assert all("\n" not in detail for _, _, detail in rows)


def test_doctor_lines_for_each_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gpu.driver, "inventory",
                        lambda: machine(H200, Gpu(1, "NVIDIA A100", (8, 0))))
    monkeypatch.setattr(gpu.libmxnet, "find_natives", lambda: CPU_NATIVES)
    rows = {name: (ok, detail) for name, ok, detail in gpu.doctor_lines()}
    assert rows["nvidia"] == (True, "driver 550.54.15, CUDA 12.4 driver API (NVML), 2 GPU(s)")
    assert rows["gpu 0"][1].startswith("NVIDIA H200, compute capability 9.0: no MXNet 1.9.1 kernels")
    assert rows["gpu 0"][1].endswith("use --device cpu")
    assert rows["gpu 1"][1] == ("NVIDIA A100, compute capability 8.0: MXNet's CUDA 11.2 build runs "
                                "on it: pip install 'djl-bridge[cuda11]'")
    # the CPU natives are the first thing to fix, and for the GPU an install can help
    assert "GPU 1 (NVIDIA A100, compute capability 8.0) is not used" in rows["device"][1]
    assert "pip install 'djl-bridge[cuda11]'" in rows["device"][1]


@pytest.mark.subprocess
def test_cli_refuses_device_gpu_in_one_line(corpus: Path) -> None:
    # CUDA_VISIBLE_DEVICES=-1 hides every GPU, so this holds on a GPU machine too.
    proc = run_cli(["train", "--epochs", "1", "--hidden", "8", "--batch-size", "2", "--num-steps",
                    "3", "--max-tokens", "200", "--data", str(corpus), "--device", "gpu"],
                   env={"CUDA_VISIBLE_DEVICES": "-1"}, timeout=120)
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == 1 and len(lines) == 1, proc.stderr
    assert lines[0].startswith("djl-bridge: error: --device gpu: ")
    assert "no NVIDIA driver" in lines[0] or "the NVIDIA driver lists no GPU" in lines[0]
    assert lines[0].endswith("use --device cpu")


# --- the one-command GPU check ----------------------------------------------------------------

GPU_CHECK = ROOT / "examples" / "gpu_check.py"
TINY = ["--epochs", "2", "--hidden", "16", "--batch-size", "4", "--num-steps", "5",
        "--max-tokens", "2000"]


def run_gpu_check(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(GPU_CHECK), *args], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **env}, timeout=300, cwd=ROOT)


@pytest.mark.subprocess
@pytest.mark.slow
def test_gpu_check_cpu_against_cpu_agrees_exactly(corpus: Path) -> None:
    import json

    # Threads pinned: the default count follows the machine's load, and oneDNN's kernels sum in
    # another order at another count (last digits; a CI run saw 19.23406 against 19.23443).
    proc = run_gpu_check([*TINY, "--data", str(corpus), "--against", "cpu", "--json"],
                         {"OMP_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["ok"] and [(r["model"], r["impl"]) for r in out["results"]] == [
        ("gru", "scratch"), ("gru", "concise")]
    for result in out["results"]:
        first, second = result["runs"]
        assert len(first["perplexity"]) == 2 and first["perplexity"] == second["perplexity"]
        assert result["max_rel_diff"] == 0.0 and first["tokens_per_sec"] > 0


@pytest.mark.subprocess
def test_gpu_check_refuses_without_a_usable_gpu(corpus: Path) -> None:
    proc = run_gpu_check([*TINY, "--data", str(corpus)], {"CUDA_VISIBLE_DEVICES": "-1"})
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == 1 and len(lines) == 1, proc.stderr
    assert lines[0].startswith("djl-bridge: error: --device gpu: ") and proc.stdout == ""
