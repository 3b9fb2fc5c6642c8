"""Parity of the text pipeline: java.util.Random, the vocabulary, the text, the corpus and both
partitions (each epoch's offset and batches)."""
from __future__ import annotations

import numpy as np

from .. import bridge

from ..reference import JavaRandom, TwinDataset, Vocab, java_shuffle, read_time_machine, tokenize
from .core import CheckResult, Context, _count_mismatches, _exact



def check_java_random(ctx: Context) -> CheckResult:
    """``java.util.Random.nextInt`` (power-of-two and rejection branches) and
    ``Collections.shuffle`` against the twin, draw for draw."""
    bounds = [1, 2, 7, 10, 35, 64, 1000, 2 ** 30, 2 ** 30 + 1, 2 ** 31 - 1, 1_500_000_000]
    mismatches, draws = 0, 0
    for seed in (ctx.setup.seed, -12345, 2 ** 40 + 3):
        jr, tr = ctx.j.Random(seed), JavaRandom(seed)
        for _ in range(20):
            for b in bounds:
                mismatches += int(jr.nextInt(b)) != tr.next_int(b)
                draws += 1
        for size in (1, 2, 5, 17, 100):
            jl = ctx.j.ArrayList()
            for i in range(size):
                jl.add(bridge.jint(i))
            ctx.j.Collections.shuffle(jl, jr)
            tl = list(range(size))
            java_shuffle(tl, tr)
            mismatches += _count_mismatches([int(v) for v in jl], tl)
            draws += size
    return _exact("java.util.Random + shuffle", mismatches, f"{draws} draws")


def check_vocab(ctx: Context) -> CheckResult:
    """Vocabulary tokens and order, and the token counts."""
    jv = ctx.java_full.getVocab()
    java_tokens = [str(t) for t in jv.getIdxToToken()]
    java_freqs = [(str(e.getKey()), int(e.getValue())) for e in jv.getTokenFreqs()]
    mismatches = _count_mismatches(java_tokens, ctx.vocab.idx_to_token)
    mismatches += _count_mismatches(java_freqs, ctx.vocab.token_freqs)
    return _exact("vocab tokens and order", mismatches, f"{len(java_tokens)} tokens")


def check_text(ctx: Context) -> CheckResult:
    """``TimeMachine.readTimeMachine`` lines, ``tokenize(lines, "word")``, and a word ``Vocab``
    with ``minFreq`` 3 and two reserved tokens (many words tie in count: their order is first
    appearance)."""
    path = bridge.java_path(ctx.java_data)
    java_lines = ctx.j.TimeMachine.readTimeMachine(path)
    lines = read_time_machine(ctx.setup.data)
    mismatches = _count_mismatches([str(line) for line in java_lines], lines)
    java_words = ctx.j.TimeMachine.tokenize(java_lines, "word")
    words = tokenize(lines, "word")
    mismatches += _count_mismatches([[str(w) for w in line] for line in java_words], words)
    reserved = ["<pad>", "<bos>"]
    java_vocab = ctx.j.Vocab(java_words, 3, bridge.strings(reserved))
    vocab = Vocab(words, min_freq=3, reserved_tokens=reserved)
    mismatches += _count_mismatches([str(t) for t in java_vocab.getIdxToToken()], vocab.idx_to_token)
    return _exact("text lines, word tokens, word vocab", mismatches,
                  f"{len(lines)} lines, {len(vocab)} words")


def check_corpus(ctx: Context) -> CheckResult:
    """The whole corpus as indices."""
    java = np.array(ctx.java_full.getCorpus(), dtype=np.int64)
    mismatches = _count_mismatches(java.tolist(), ctx.corpus.tolist())
    return _exact("corpus indices", mismatches, f"{java.size} tokens")


def _check_batches(ctx: Context, random: bool) -> CheckResult:
    """Every batch of several epochs, and each epoch's offset and number of batches (every epoch
    draws its own offset)."""
    b, t, max_tokens, epochs = 4, 10, 1500, 4
    java_ds = ctx.dataset(b, t, random, max_tokens)
    twin = TwinDataset(ctx.corpus[:max_tokens], b, t, random, ctx.setup.seed)
    mismatches = int(int(java_ds.getOffset()) != twin.offset)
    mismatches += int(int(java_ds.getNumBatches()) != twin.num_batches)
    count, offsets = 0, []
    for _ in range(epochs):
        twin_batches = list(twin.next_epoch())
        java_batches = []
        for batch in java_ds.getData(ctx.manager):
            with batch:
                x = batch.getData().head()
                y = batch.getLabels().head()
                shape = tuple(int(d) for d in x.getShape().getShape())
                java_batches.append((np.array(x.toIntArray()).reshape(shape),
                                     np.array(y.toIntArray()).reshape(shape)))
        offsets.append(twin.offset)
        mismatches += int(int(java_ds.getOffset()) != twin.offset)
        mismatches += int(int(java_ds.getNumBatches()) != twin.num_batches)
        mismatches += abs(len(java_batches) - len(twin_batches))
        for (jx, jy), (tx, ty) in zip(java_batches, twin_batches):
            if jx.shape != tx.shape:
                mismatches += max(jx.size, tx.size)
                continue
            mismatches += int(np.sum(jx != tx) + np.sum(jy != ty))
            count += 1
    mode = "random" if random else "sequential"
    return _exact(f"batches {mode}", mismatches,
                  f"offsets {'/'.join(map(str, offsets))}, {count} batches over {epochs} epochs")


def check_batches_sequential(ctx: Context) -> CheckResult:
    return _check_batches(ctx, False)


def check_batches_random(ctx: Context) -> CheckResult:
    return _check_batches(ctx, True)
