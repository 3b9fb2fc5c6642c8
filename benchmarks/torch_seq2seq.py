#!/usr/bin/env python3
"""The PyTorch reference of the seq2seq benchmark (issue 24): D2L 9.7's sequence-to-sequence
model (English -> French) as the book's PyTorch edition (d2l.ai 0.17, chapters 9.5-9.7) writes
it, re-typed without the d2l package, trained on CPU (eager) with the book's settings.

Run it with an interpreter that has ``torch`` (never a dependency of djl_bridge)::

    venv-torch/bin/python benchmarks/torch_seq2seq.py --data fra.txt --threads 2 --seed 0

``--data`` takes ``fra.txt`` (``english<TAB>french``, two columns) or the book's ``fra-eng.zip``.
It prints one JSON object on stdout with the keys of ``benchmarks/torch_ref.py`` where they apply:
``launcher: "torch"``, ``torch_version``, ``threads``, ``device``, ``loss`` (one per epoch: the
summed masked loss over the summed target tokens, the value the book's Animator plots),
``final_loss``, ``epoch_seconds`` (wall time per epoch), ``epoch_tokens_per_sec``,
``tokens_per_sec`` (median over epochs, the first left out), ``rss_mb`` (after each epoch),
``peak_rss_mb``, ``tokens_per_epoch``, ``src_vocab_size``, ``tgt_vocab_size``, ``translations``
(the book's four sentences, greedy, with BLEU k=2) and ``config``. Progress goes to stderr.

The epoch timer covers what the book's ``d2l.Timer`` in ``train_seq2seq`` covers: the epoch's
batches from the shuffling ``DataLoader`` (forward, backward, clipping, the Adam update and the
loss read back per batch). Seeding: ``torch.manual_seed(--seed)`` once, before the model is built
(the data pipeline draws no random numbers); the shuffling, the initialisation and the dropout
then draw from that one generator in the book's order.

Where the book is silent or breaks:
- prediction follows d2l 0.17: the decoder's context is the last layer of the state it is
  given, so after the first step it is the decoder's own state (d2l 1.0 keeps the encoder's);
- ``bleu`` returns 0.0 when the prediction has fewer than ``k`` tokens (the book's formula
  divides by zero there; with even fewer tokens it already yields 0.0);
- a data file whose lines do not have exactly two tab-separated columns (newer copies of the
  file add an attribution column) is refused with one line, where the book skips every line.

The data pipeline and ``bleu`` import no torch (tests/test_torch_seq2seq_ref.py checks them
without it); the model and training import torch when they run.
"""
from __future__ import annotations

import argparse
import collections
import json
import math
import statistics
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, NoReturn, Optional, Sequence

import numpy as np

RESERVED = ["<pad>", "<bos>", "<eos>"]
BOOK_PAIRS = (("go .", "va !"), ("i lost .", "j'ai perdu ."), ("he's calm .", "il est calme ."),
              ("i'm home .", "je suis chez moi ."))


def fail(what: str, fix: str) -> NoReturn:
    """The one-line error of the project, exit status 1."""
    print(f"djl-bridge: error: {what}: {fix}", file=sys.stderr)
    raise SystemExit(1)


# ----------------------------------------------------------------- data (D2L 9.5, no torch)

def read_data_nmt(path: Path) -> str:
    """The text of ``fra.txt``, or of the ``fra.txt`` inside the book's ``fra-eng.zip``."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if n.rsplit("/", 1)[-1] == "fra.txt"]
            if not names:
                raise ValueError(f"{path} holds no fra.txt")
            return archive.read(names[0]).decode("utf-8")
    return path.read_text(encoding="utf-8")


def preprocess_nmt(text: str) -> str:
    """Non-breaking spaces to spaces, lower case, a space before ``, . ! ?`` not after one."""
    text = text.replace("\u202f", " ").replace("\xa0", " ").lower()
    return "".join(" " + char if i > 0 and char in ",.!?" and text[i - 1] != " " else char
                   for i, char in enumerate(text))


def check_columns(text: str, num_examples: Optional[int]) -> None:
    """Raises ValueError naming the first line (of those tokenize_nmt reads) that is not blank and
    does not have exactly two tab-separated columns."""
    for i, line in enumerate(text.split("\n")):
        if num_examples and i > num_examples:
            break
        columns = len(line.split("\t"))
        if line and columns != 2:
            raise ValueError(f"line {i + 1} has {columns} tab-separated columns, the book reads "
                             "exactly 2 (english<TAB>french)")


def tokenize_nmt(text: str, num_examples: Optional[int] = None) -> tuple[list[list[str]], list[list[str]]]:
    """Source and target token lists; as the book, stops when ``i > num_examples`` (so
    ``num_examples + 1`` pairs) and skips lines without exactly two columns."""
    source: list[list[str]] = []
    target: list[list[str]] = []
    for i, line in enumerate(text.split("\n")):
        if num_examples and i > num_examples:
            break
        parts = line.split("\t")
        if len(parts) == 2:
            source.append(parts[0].split(" "))
            target.append(parts[1].split(" "))
    return source, target


class Vocab:
    """D2L's vocabulary: ``<unk>`` at 0, then the reserved tokens, then tokens by falling
    frequency (ties in first-seen order) while their count reaches ``min_freq``."""

    def __init__(self, tokens: Iterable[list[str]], min_freq: int = 0,
                 reserved_tokens: Optional[list[str]] = None) -> None:
        counter = collections.Counter(token for line in tokens for token in line)
        self.token_freqs = sorted(counter.items(), key=lambda x: x[1], reverse=True)
        self.idx_to_token = ["<unk>"] + list(reserved_tokens or [])
        self.token_to_idx = {token: idx for idx, token in enumerate(self.idx_to_token)}
        for token, freq in self.token_freqs:
            if freq < min_freq:
                break
            if token not in self.token_to_idx:
                self.idx_to_token.append(token)
                self.token_to_idx[token] = len(self.idx_to_token) - 1

    def __len__(self) -> int:
        return len(self.idx_to_token)

    def __getitem__(self, tokens: Any) -> Any:
        if not isinstance(tokens, (list, tuple)):
            return self.token_to_idx.get(tokens, 0)
        return [self[token] for token in tokens]

    def to_tokens(self, indices: Sequence[int]) -> list[str]:
        return [self.idx_to_token[index] for index in indices]


def truncate_pad(line: list[int], num_steps: int, padding_token: int) -> list[int]:
    """Cut to ``num_steps`` or pad to it."""
    if len(line) > num_steps:
        return line[:num_steps]
    return line + [padding_token] * (num_steps - len(line))


def build_array_nmt(lines: list[list[str]], vocab: Vocab, num_steps: int) -> tuple[np.ndarray, np.ndarray]:
    """(N, num_steps) int64 indices with ``<eos>`` appended, and the valid lengths (non-pad)."""
    rows = [truncate_pad(vocab[line] + [vocab["<eos>"]], num_steps, vocab["<pad>"]) for line in lines]
    array = np.array(rows, dtype=np.int64).reshape(len(rows), num_steps)
    return array, (array != vocab["<pad>"]).sum(axis=1).astype(np.int64)


@dataclass(frozen=True)
class NMTData:
    """The arrays and vocabularies of ``load_data_nmt`` (batching happens in the training)."""
    src: np.ndarray
    src_valid_len: np.ndarray
    tgt: np.ndarray
    tgt_valid_len: np.ndarray
    src_vocab: Vocab
    tgt_vocab: Vocab


def load_data_nmt(path: Path, num_steps: int, num_examples: int = 600) -> NMTData:
    """The book's ``load_data_nmt`` up to its arrays (min_freq 2, reserved ``<pad> <bos> <eos>``)."""
    text = preprocess_nmt(read_data_nmt(path))
    check_columns(text, num_examples)
    source, target = tokenize_nmt(text, num_examples)
    src_vocab = Vocab(source, min_freq=2, reserved_tokens=RESERVED)
    tgt_vocab = Vocab(target, min_freq=2, reserved_tokens=RESERVED)
    src, src_valid_len = build_array_nmt(source, src_vocab, num_steps)
    tgt, tgt_valid_len = build_array_nmt(target, tgt_vocab, num_steps)
    return NMTData(src, src_valid_len, tgt, tgt_valid_len, src_vocab, tgt_vocab)


def bleu(pred_seq: str, label_seq: str, k: int) -> float:
    """The book's BLEU (floating-point division); 0.0 when the prediction has fewer than k tokens."""
    pred_tokens, label_tokens = pred_seq.split(" "), label_seq.split(" ")
    len_pred, len_label = len(pred_tokens), len(label_tokens)
    if len_pred < k:
        return 0.0
    score = math.exp(min(0.0, 1 - len_label / len_pred))
    for n in range(1, k + 1):
        num_matches, label_subs = 0, collections.defaultdict(int)
        for i in range(len_label - n + 1):
            label_subs[" ".join(label_tokens[i:i + n])] += 1
        for i in range(len_pred - n + 1):
            gram = " ".join(pred_tokens[i:i + n])
            if label_subs[gram] > 0:
                num_matches += 1
                label_subs[gram] -= 1
        score *= math.pow(num_matches / (len_pred - n + 1), math.pow(0.5, n))
    return score


# ------------------------------------------------------- model and training (D2L 9.6-9.7, torch)

def build_net(torch: Any, src_vocab: int, tgt_vocab: int, embed: int, hidden: int, layers: int,
              dropout: float) -> Any:
    """The book's ``EncoderDecoder(Seq2SeqEncoder, Seq2SeqDecoder)`` (encoder built first)."""
    nn = torch.nn

    class Seq2SeqEncoder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embedding = nn.Embedding(src_vocab, embed)
            self.rnn = nn.GRU(embed, hidden, layers, dropout=dropout)

        def forward(self, X: Any) -> tuple[Any, Any]:
            return self.rnn(self.embedding(X).permute(1, 0, 2))

    class Seq2SeqDecoder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embedding = nn.Embedding(tgt_vocab, embed)
            self.rnn = nn.GRU(embed + hidden, hidden, layers, dropout=dropout)
            self.dense = nn.Linear(hidden, tgt_vocab)

        def forward(self, X: Any, state: Any) -> tuple[Any, Any]:
            X = self.embedding(X).permute(1, 0, 2)
            context = state[-1].repeat(X.shape[0], 1, 1)
            output, state = self.rnn(torch.cat((X, context), 2), state)
            return self.dense(output).permute(1, 0, 2), state

    class EncoderDecoder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = Seq2SeqEncoder()
            self.decoder = Seq2SeqDecoder()

        def forward(self, enc_X: Any, dec_X: Any) -> tuple[Any, Any]:
            return self.decoder(dec_X, self.encoder(enc_X)[1])

    return EncoderDecoder()


def masked_softmax_ce(torch: Any, pred: Any, label: Any, valid_len: Any) -> Any:
    """MaskedSoftmaxCELoss: per sentence, the mean over all steps of the per-token loss with the
    steps past ``valid_len`` set to zero."""
    unweighted = torch.nn.functional.cross_entropy(pred.permute(0, 2, 1), label, reduction="none")
    mask = torch.arange(label.shape[1], device=label.device)[None, :] < valid_len[:, None]
    return (unweighted * mask).mean(dim=1)


def predict_seq2seq(torch: Any, net: Any, sentence: str, data: NMTData, num_steps: int, device: Any) -> str:
    """Greedy translation, the book's (d2l 0.17) ``predict_seq2seq``."""
    net.eval()
    src_vocab, tgt_vocab = data.src_vocab, data.tgt_vocab
    tokens = truncate_pad(src_vocab[sentence.lower().split(" ")] + [src_vocab["<eos>"]], num_steps,
                          src_vocab["<pad>"])
    with torch.no_grad():
        state = net.encoder(torch.tensor([tokens], dtype=torch.long, device=device))[1]
        dec_X = torch.tensor([[tgt_vocab["<bos>"]]], dtype=torch.long, device=device)
        output: list[int] = []
        for _ in range(num_steps):
            Y, state = net.decoder(dec_X, state)
            dec_X = Y.argmax(dim=2)
            pred = int(dec_X.squeeze(dim=0).item())
            if pred == tgt_vocab["<eos>"]:
                break
            output.append(pred)
    return " ".join(tgt_vocab.to_tokens(output))


def process_memory_mb(field: str) -> float:
    """``VmRSS`` or ``VmHWM`` of this process in MiB; NaN where there is no ``/proc``."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return math.nan


def train(args: argparse.Namespace) -> dict[str, Any]:
    """The book's ``train_seq2seq`` for ``args.epochs`` epochs, then its four translations."""
    try:
        data = load_data_nmt(args.data, args.num_steps, args.num_examples)
    except (OSError, UnicodeDecodeError, ValueError, zipfile.BadZipFile) as exc:
        fail(f"cannot read {args.data} (from --data): {exc}",
             "pass the book's fra.txt (english<TAB>french per line) or fra-eng.zip")
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
    arrays = [torch.from_numpy(a) for a in (data.src, data.src_valid_len, data.tgt, data.tgt_valid_len)]
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(*arrays), args.batch_size,
                                         shuffle=True)
    net = build_net(torch, len(data.src_vocab), len(data.tgt_vocab), args.embed, args.hidden,
                    args.layers, args.dropout)

    def xavier_init_weights(module: Any) -> None:
        if type(module) is torch.nn.Linear:
            torch.nn.init.xavier_uniform_(module.weight)
        if type(module) is torch.nn.GRU:
            for name in module._flat_weights_names:
                if "weight" in name:
                    torch.nn.init.xavier_uniform_(module._parameters[name])

    net.apply(xavier_init_weights)
    net.to(device)
    optimizer = torch.optim.Adam(net.parameters(), lr=args.lr)
    params = [p for p in net.parameters() if p.requires_grad]
    bos_index = data.tgt_vocab["<bos>"]
    losses: list[float] = []
    speeds: list[float] = []
    seconds: list[float] = []
    rss: list[float] = []
    tokens = 0.0
    net.train()
    last = time.perf_counter()
    for epoch in range(args.epochs):
        start = time.perf_counter()
        loss_sum, tokens = 0.0, 0.0
        for batch in loader:
            optimizer.zero_grad()
            X, _, Y, Y_valid_len = [x.to(device) for x in batch]
            bos = torch.tensor([bos_index] * Y.shape[0], device=device).reshape(-1, 1)
            Y_hat, _ = net(X, torch.cat([bos, Y[:, :-1]], 1))
            loss = masked_softmax_ce(torch, Y_hat, Y, Y_valid_len)
            loss.sum().backward()
            norm = torch.sqrt(sum(torch.sum(p.grad ** 2) for p in params))
            if norm > 1:
                for p in params:
                    p.grad[:] *= 1 / norm
            optimizer.step()
            with torch.no_grad():
                loss_sum += float(loss.sum())
                tokens += float(Y_valid_len.sum())
        now = time.perf_counter()
        losses.append(loss_sum / tokens)
        speeds.append(tokens / (now - start))
        seconds.append(now - last)
        last = now
        rss.append(process_memory_mb("VmRSS"))
        print(f"epoch {epoch + 1} loss {losses[-1]:.4f} tokens/s {speeds[-1]:.1f}",
              file=sys.stderr, flush=True)
    translations = []
    for eng, fra in BOOK_PAIRS:
        predicted = predict_seq2seq(torch, net, eng, data, args.num_steps, device)
        translations.append({"source": eng, "reference": fra, "prediction": predicted,
                             "bleu": bleu(predicted, fra, k=2)})
        print(f"{eng} => {predicted}, bleu {translations[-1]['bleu']:.3f}", file=sys.stderr)
    steady = speeds[1:] if len(speeds) > 1 else speeds
    return {
        "loss": losses,
        "final_loss": losses[-1],
        "tokens_per_sec": float(statistics.median(steady)),
        "epoch_tokens_per_sec": speeds,
        "epoch_seconds": seconds,
        "rss_mb": rss,
        "peak_rss_mb": process_memory_mb("VmHWM"),
        "tokens_per_epoch": int(tokens),
        "src_vocab_size": len(data.src_vocab),
        "tgt_vocab_size": len(data.tgt_vocab),
        "translations": translations,
        "device": str(device),
        "launcher": "torch",
        "torch_version": str(torch.__version__),
        "threads": int(torch.get_num_threads()),
        "config": {"epochs": args.epochs, "lr": args.lr, "embed": args.embed, "hidden": args.hidden,
                   "layers": args.layers, "dropout": args.dropout, "batch_size": args.batch_size,
                   "num_steps": args.num_steps, "num_examples": args.num_examples,
                   "data": str(args.data), "seed": args.seed},
    }


# ------------------------------------------------------------------------------------ command line

def _number(flag: str, text: str, kind: type, low: float, low_ok: bool, high: float = math.inf) -> Any:
    try:
        value = kind(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and (value >= low if low_ok else value > low) and value < high):
        bound = f">= {low}" if low_ok else f"> {low}"
        what = "a whole number" if kind is int else "a finite number"
        fail(f"{flag} must be {what} {bound}" + (f" and < {high}" if high < math.inf else "")
             + f", got {text}", f"pass a valid value for {flag}")
    return value


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """The book's settings as defaults; every check fails with one line naming the flag."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, required=True, help="fra.txt or fra-eng.zip")
    for flag, default in (("--epochs", "300"), ("--batch-size", "64"), ("--num-steps", "10"),
                          ("--num-examples", "600"), ("--embed", "32"), ("--hidden", "32"),
                          ("--layers", "2"), ("--dropout", "0.1"), ("--lr", "0.005"), ("--seed", "0")):
        p.add_argument(flag, default=default)
    p.add_argument("--threads", default=None,
                   help="torch.set_num_threads (default: PyTorch's own, one per core)")
    p.add_argument("--device", choices=("cpu", "gpu"), default="cpu")
    p.add_argument("--json", action="store_true", help="accepted for symmetry; the output is JSON")
    args = p.parse_args(argv)
    for name in ("epochs", "batch_size", "num_steps", "num_examples", "embed", "hidden", "layers"):
        setattr(args, name, _number("--" + name.replace("_", "-"), getattr(args, name), int, 0, False))
    args.seed = _number("--seed", args.seed, int, 0, True)
    args.dropout = _number("--dropout", args.dropout, float, 0, True, 1)
    args.lr = _number("--lr", args.lr, float, 0, False)
    if args.threads is not None:
        args.threads = _number("--threads", args.threads, int, 0, False)
    if not args.data.is_file():
        fail(f"data file not found: {args.data} (from --data)", "pass the path of fra.txt or fra-eng.zip")
    return args


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Parses, trains, prints the JSON object; returns the exit status."""
    print(json.dumps(train(parse_args(argv))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
