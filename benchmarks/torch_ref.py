#!/usr/bin/env python3
"""The PyTorch reference of ``djl-bridge bench``: D2L chapter 9's GRU, LSTM and RNN in PyTorch
(CPU, eager), from scratch as D2L's PyTorch text writes them and with ``nn.GRU`` / ``nn.LSTM`` /
``nn.RNN`` + ``nn.Linear``, trained on exactly the batches the Java side trains on.

Run it with an interpreter that has ``torch`` (never a dependency of djl_bridge)::

    venv-torch/bin/python benchmarks/torch_ref.py --model gru --impl scratch --epochs 30 \\
        --data timemachine.txt

It prints one JSON object on stdout with the keys the bench reads from ``djl-bridge train
--json``: ``epoch_tokens_per_sec``, ``tokens_per_sec`` (median over epochs, the first left out),
``epoch_seconds``, ``perplexity``, ``final_perplexity``, ``rss_mb``, ``peak_rss_mb``, plus
``launcher: "torch"``, ``torch_version`` and ``threads``.

Same data as the Java side: the corpus, vocabulary and batches come from the repository's numpy
twin (``djl_bridge/reference/text.py`` and ``sampling.py``), loaded by path, so this script needs
neither JPype nor an installed djl_bridge. Same training as ``TimeMachine.trainEpochCh8``: a
fresh zero state at each epoch's start (sequential batches carry the detached state), the mean
softmax cross-entropy, clipping of the joint gradient norm, SGD with the learning rate as is,
the loss summed on the device and read once per epoch; weights from N(0, 0.01) and zero biases
for both implementations (the Java models' initialization). The epoch timer covers batching,
forward, backward, clipping and the update, as the Java one does.

The scratch cells are the text's (``d2l.ai`` chapter 9, PyTorch tab): one (W_x, W_h, b) triple
per gate (GRU ``z, r, h``; LSTM ``i, f, o, c``), the GRU's reset gate applied to H *before* the
hidden matmul, ``(R * H) @ W_hh`` (as ``djl_bridge/reference/cells.py`` with
``reset_after=False``), one-hot inputs, and the output layer applied at every time step.
``--layers N`` stacks N of them as D2L 9.3's ``StackedRNNScratch`` does (layer l's hidden
states of all steps are layer l + 1's inputs; the output layer reads the last layer), and the
concise models as ``nn.LSTM(num_layers=N)``; ``--bidirectional`` (concise only) sets
``bidirectional=True``, the output layer then reading both directions.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import math
import statistics
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, NoReturn, Optional, Sequence

REFERENCE = Path(__file__).resolve().parent.parent / "djl_bridge" / "reference"
#: The settings' defaults and choices, the file djl_bridge and its Java side read too.
SETTINGS = {s["name"]: s for s in json.loads(
    (REFERENCE.parent / "settings.json").read_text(encoding="utf-8"))["settings"]}
MODELS = ("gru", "lstm", "rnn")  # the twin's kinds (reference/kinds.py), before it is loaded
IMPLS = tuple(SETTINGS["impl"]["choices"])


def fail(what: str, fix: str) -> NoReturn:
    """The one-line error of the project, exit status 1."""
    print(f"djl-bridge: error: {what}: {fix}", file=sys.stderr)
    raise SystemExit(1)


def load_twin() -> ModuleType:
    """``djl_bridge.reference`` loaded from its files as the package ``_djl_twin`` (plain numpy;
    importing it through ``djl_bridge`` would need JPype)."""
    init = REFERENCE / "__init__.py"
    if not init.is_file():
        fail(f"the numpy twin is missing ({init})", "run this script from a djl_bridge checkout")
    spec = importlib.util.spec_from_file_location("_djl_twin", init,
                                                  submodule_search_locations=[str(REFERENCE)])
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["_djl_twin"] = module
    spec.loader.exec_module(module)
    return module


def _positive_int(flag: str, text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        fail(f"{flag} must be a whole number > 0, got {text}", f"use a positive integer for {flag}")
    return value


def _positive_float(flag: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        fail(f"{flag} must be a finite number > 0, got {text}", f"use a positive number for {flag}")
    return value


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """The options of ``djl-bridge train`` that matter here (the bench passes them all)."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    d = {name: setting["default"] for name, setting in SETTINGS.items()}
    p.add_argument("--model", choices=MODELS, default=d["model"])
    p.add_argument("--impl", choices=IMPLS, default=d["impl"])
    p.add_argument("--epochs", default="30")  # the bench's usual length, not train's 500
    for name in ("hidden", "batch_size", "num_steps", "max_tokens", "lr", "clip"):
        p.add_argument("--" + name.replace("_", "-"), default=str(d[name]))
    p.add_argument("--seed", type=int, default=d["seed"])
    p.add_argument("--device", choices=SETTINGS["device"]["choices"], default=d["device"],
                   help="auto and cpu: the CPU (the bench compares CPU runs); gpu: CUDA")
    p.add_argument("--data", type=Path, required=True, help="timemachine.txt")
    p.add_argument("--random-iter", action="store_true", help="random instead of sequential batches")
    p.add_argument("--layers", default=str(d["layers"]), help="stacked recurrent layers (D2L 9.3)")
    p.add_argument("--bidirectional", action="store_true",
                   help="both directions in every layer (D2L 9.4; --impl concise only)")
    p.add_argument("--threads", type=int, default=None,
                   help="torch.set_num_threads (default: PyTorch's own, one per core)")
    p.add_argument("--json", action="store_true", help="accepted for symmetry; the output is JSON")
    args = p.parse_args(argv)
    for name in ("epochs", "hidden", "layers", "batch_size", "num_steps", "max_tokens"):
        setattr(args, name, _positive_int("--" + name.replace("_", "-"), getattr(args, name)))
    args.lr = _positive_float("--lr", args.lr)
    args.clip = _positive_float("--clip", args.clip)
    if args.threads is not None and args.threads <= 0:
        fail(f"--threads must be a whole number > 0, got {args.threads}", "leave it out or pass 1, 2, ...")
    if args.bidirectional and args.impl != "concise":
        fail("--bidirectional needs --impl concise", "the scratch cells run one direction")
    if not args.data.is_file():
        fail(f"corpus file not found: {args.data} (from --data)", "pass the path of timemachine.txt")
    return args


def process_memory_mb(field: str) -> float:
    """``VmRSS`` or ``VmHWM`` of this process in MiB (as ``djlbridge.training.ProcessMemory``); NaN
    where there is no ``/proc``."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return math.nan


def build_model(torch: Any, kind: str, impl: str, vocab_size: int, hidden: int, device: Any,
                layers: int = 1, bidirectional: bool = False
                ) -> tuple[list[Any], Callable[..., Any], Callable[[int], tuple[Any, ...]]]:
    """The parameters, ``forward(X, state) -> (logits (steps*batch, V), state)`` with X the
    (batch, steps) token indices, and ``begin_state(batch)``."""
    nn = torch.nn
    functional = torch.nn.functional
    n_states = 2 if kind == "lstm" else 1

    def normal(*shape: int) -> Any:
        return (torch.randn(*shape, device=device) * 0.01).requires_grad_()

    def zeros(*shape: int) -> Any:
        return torch.zeros(*shape, device=device, requires_grad=True)

    def one_hot(x: Any) -> Any:
        return functional.one_hot(x.T, vocab_size).type(torch.float32)

    if impl == "scratch":
        gates = {"gru": 3, "lstm": 4, "rnn": 1}[kind]
        layer_params: list[list[Any]] = []
        for layer in range(layers):
            mine: list[Any] = []
            for _ in range(gates):
                mine += [normal(vocab_size if layer == 0 else hidden, hidden),
                         normal(hidden, hidden), zeros(hidden)]
            layer_params.append(mine)
        W_hq, b_q = normal(hidden, vocab_size), zeros(vocab_size)
        params = [p for mine in layer_params for p in mine] + [W_hq, b_q]

        def begin_state(batch: int) -> tuple[Any, ...]:
            return tuple(torch.zeros((batch, hidden), device=device)
                         for _ in range(layers * n_states))

        def gru(inputs: Any, state: tuple[Any, ...], p: list[Any]) -> tuple[list[Any], tuple[Any, ...]]:
            W_xz, W_hz, b_z, W_xr, W_hr, b_r, W_xh, W_hh, b_h = p
            H, = state
            outputs = []
            for X in inputs:
                Z = torch.sigmoid((X @ W_xz) + (H @ W_hz) + b_z)
                R = torch.sigmoid((X @ W_xr) + (H @ W_hr) + b_r)
                H_tilda = torch.tanh((X @ W_xh) + ((R * H) @ W_hh) + b_h)
                H = Z * H + (1 - Z) * H_tilda
                outputs.append(H)
            return outputs, (H,)

        def lstm(inputs: Any, state: tuple[Any, ...], p: list[Any]) -> tuple[list[Any], tuple[Any, ...]]:
            W_xi, W_hi, b_i, W_xf, W_hf, b_f, W_xo, W_ho, b_o, W_xc, W_hc, b_c = p
            H, C = state
            outputs = []
            for X in inputs:
                I = torch.sigmoid((X @ W_xi) + (H @ W_hi) + b_i)  # noqa: E741 - the text's name
                F = torch.sigmoid((X @ W_xf) + (H @ W_hf) + b_f)
                O = torch.sigmoid((X @ W_xo) + (H @ W_ho) + b_o)
                C_tilda = torch.tanh((X @ W_xc) + (H @ W_hc) + b_c)
                C = F * C + I * C_tilda
                H = O * torch.tanh(C)
                outputs.append(H)
            return outputs, (H, C)

        def rnn(inputs: Any, state: tuple[Any, ...], p: list[Any]) -> tuple[list[Any], tuple[Any, ...]]:
            W_xh, W_hh, b_h = p
            H, = state
            outputs = []
            for X in inputs:
                H = torch.tanh(torch.mm(X, W_xh) + torch.mm(H, W_hh) + b_h)
                outputs.append(H)
            return outputs, (H,)

        cell = {"gru": gru, "lstm": lstm, "rnn": rnn}[kind]

        def forward(x: Any, state: tuple[Any, ...]) -> tuple[Any, tuple[Any, ...]]:
            outputs = one_hot(x)
            new_state: list[Any] = []
            for layer, mine in enumerate(layer_params):
                outputs, last = cell(outputs, state[layer * n_states:(layer + 1) * n_states], mine)
                new_state += last
            return torch.cat([H @ W_hq + b_q for H in outputs], dim=0), tuple(new_state)

        return params, forward, begin_state

    layer_cls = {"gru": nn.GRU, "lstm": nn.LSTM, "rnn": nn.RNN}[kind]
    rnn_layer = layer_cls(vocab_size, hidden, num_layers=layers, bidirectional=bidirectional).to(device)
    directions = 2 if bidirectional else 1
    linear = nn.Linear(hidden * directions, vocab_size).to(device)
    for module in (rnn_layer, linear):
        for name, p in module.named_parameters():
            with torch.no_grad():
                if "weight" in name:
                    p.normal_(0.0, 0.01)
                else:
                    p.zero_()

    def begin_state_concise(batch: int) -> tuple[Any, ...]:
        return tuple(torch.zeros((layers * directions, batch, hidden), device=device)
                     for _ in range(n_states))

    def forward_concise(x: Any, state: tuple[Any, ...]) -> tuple[Any, tuple[Any, ...]]:
        y, new = rnn_layer(one_hot(x), state if kind == "lstm" else state[0])
        logits = linear(y.reshape(-1, y.shape[-1]))
        return logits, (tuple(new) if kind == "lstm" else (new,))

    return [*rnn_layer.parameters(), *linear.parameters()], forward_concise, begin_state_concise


def train(args: argparse.Namespace) -> dict[str, Any]:
    """Trains as ``TimeMachine.trainEpochCh8`` for ``args.epochs`` epochs; returns the JSON."""
    twin = load_twin()
    try:
        import torch
    except ImportError:
        fail(f"PyTorch is not installed for {sys.executable}",
             "install it into a separate venv (python3 -m venv V && V/bin/pip install torch numpy) "
             "and run this script with V/bin/python")
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    if args.device == "gpu" and not torch.cuda.is_available():
        fail("--device gpu: PyTorch sees no CUDA GPU", "use --device cpu")
    device = torch.device("cuda" if args.device == "gpu" else "cpu")
    torch.manual_seed(args.seed)
    corpus, vocab = twin.load_corpus(args.data, args.max_tokens)
    try:
        dataset = twin.TwinDataset(corpus, args.batch_size, args.num_steps, args.random_iter, args.seed)
    except ValueError as exc:
        fail(f"the corpus ({corpus.size} tokens used) is too small: {exc}",
             "lower --batch-size or --num-steps, or raise --max-tokens")
    params, forward, begin_state = build_model(torch, args.model, args.impl, len(vocab), args.hidden,
                                               device, args.layers, args.bidirectional)
    loss_fn = torch.nn.CrossEntropyLoss()
    perplexity: list[float] = []
    speeds: list[float] = []
    seconds: list[float] = []
    rss: list[float] = []
    last = time.perf_counter()
    for _ in range(args.epochs):
        start = time.perf_counter()
        loss_sum = torch.zeros((), device=device)
        tokens = 0
        state: Optional[tuple[Any, ...]] = None
        for x_np, y_np in dataset.next_epoch():
            x = torch.from_numpy(x_np).to(device)
            y = torch.from_numpy(y_np).to(device)
            if state is None or args.random_iter:
                state = begin_state(x.shape[0])
            else:
                state = tuple(s.detach() for s in state)
            labels = y.T.reshape(-1)
            logits, state = forward(x, state)
            loss = loss_fn(logits, labels)
            for p in params:
                p.grad = None
            loss.backward()
            with torch.no_grad():
                norm = torch.sqrt(sum(torch.sum(p.grad ** 2) for p in params))
                scale = args.clip / torch.clamp(norm, min=args.clip)
                for p in params:
                    p.grad.mul_(scale)
                    p.sub_(args.lr * p.grad)
                loss_sum += loss.detach() * labels.numel()
            tokens += labels.numel()
        mean_loss = float(loss_sum.item()) / tokens
        now = time.perf_counter()
        perplexity.append(math.exp(mean_loss))
        speeds.append(tokens / (now - start))
        seconds.append(now - last)
        last = now
        rss.append(process_memory_mb("VmRSS"))
        print(f"epoch {len(speeds)} perplexity {perplexity[-1]:.4f} tokens/s {speeds[-1]:.1f}",
              file=sys.stderr, flush=True)
    steady = speeds[1:] if len(speeds) > 1 else speeds
    return {
        "perplexity": perplexity,
        "final_perplexity": perplexity[-1],
        "tokens_per_sec": float(statistics.median(steady)),
        "epoch_tokens_per_sec": speeds,
        "epoch_seconds": seconds,
        "rss_mb": rss,
        "peak_rss_mb": process_memory_mb("VmHWM"),
        "device": str(device),
        "launcher": "torch",
        "torch_version": str(torch.__version__),
        "threads": int(torch.get_num_threads()),
        "config": {"model": args.model, "impl": args.impl, "epochs": args.epochs, "lr": args.lr,
                   "clip": args.clip, "hidden": args.hidden, "layers": args.layers,
                   "bidirectional": args.bidirectional, "batch_size": args.batch_size,
                   "num_steps": args.num_steps, "max_tokens": args.max_tokens,
                   "random_iter": args.random_iter, "data": str(args.data), "seed": args.seed},
    }


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Parses, trains, prints the JSON object; returns the exit status."""
    result = train(parse_args(argv))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
