"""Parity of the text pipeline: java.util.Random, the vocabulary, the text, the corpus and both
partitions (each epoch's offset and batches)."""
from __future__ import annotations

import numpy as np

from ..reference import JavaRandom, TwinDataset, Vocab, java_shuffle, read_time_machine, tokenize
from .core import CheckResult, Context, _count_mismatches, _exact



def check_java_random(ctx: Context) -> CheckResult:
    """``java.util.Random.nextInt`` (power-of-two and rejection branches) and
    ``Collections.shuffle`` against the twin, draw for draw."""
    bounds = [1, 2, 7, 10, 35, 64, 1000, 2 ** 30, 2 ** 30 + 1, 2 ** 31 - 1, 1_500_000_000]
    sizes, rounds = (1, 2, 5, 17, 100), 20
    mismatches, draws = 0, 0
    for seed in (ctx.setup.seed, -12345, 2 ** 40 + 3):
        java_draws, java_shuffles = ctx.java.java_random(seed, bounds, rounds, sizes)
        tr = JavaRandom(seed)
        twin_draws = [tr.next_int(b) for _ in range(rounds) for b in bounds]
        mismatches += _count_mismatches(java_draws, twin_draws)
        draws += len(twin_draws)
        for size, java_list in zip(sizes, java_shuffles):
            tl = list(range(size))
            java_shuffle(tl, tr)
            mismatches += _count_mismatches(java_list, tl)
            draws += size
    return _exact("java.util.Random + shuffle", mismatches, f"{draws} draws")


def check_vocab(ctx: Context) -> CheckResult:
    """Vocabulary tokens and order, and the token counts."""
    java_tokens, java_freqs = ctx.java.vocab()
    mismatches = _count_mismatches(java_tokens, ctx.vocab.idx_to_token)
    mismatches += _count_mismatches(java_freqs, ctx.vocab.token_freqs)
    return _exact("vocab tokens and order", mismatches, f"{len(java_tokens)} tokens")


def check_text(ctx: Context) -> CheckResult:
    """``TimeMachine.readTimeMachine`` lines, ``tokenize(lines, "word")``, and a word ``Vocab``
    with ``minFreq`` 3 and two reserved tokens (many words tie in count: their order is first
    appearance)."""
    reserved = ["<pad>", "<bos>"]
    java_lines, java_words, java_vocab = ctx.java.text("word", 3, reserved)
    lines = read_time_machine(ctx.setup.data)
    mismatches = _count_mismatches(java_lines, lines)
    words = tokenize(lines, "word")
    mismatches += _count_mismatches(java_words, words)
    vocab = Vocab(words, min_freq=3, reserved_tokens=reserved)
    mismatches += _count_mismatches(java_vocab, vocab.idx_to_token)
    return _exact("text lines, word tokens, word vocab", mismatches,
                  f"{len(lines)} lines, {len(vocab)} words")


def check_corpus(ctx: Context) -> CheckResult:
    """The whole corpus as indices."""
    java = ctx.java.corpus()
    mismatches = _count_mismatches(java.tolist(), ctx.corpus.tolist())
    return _exact("corpus indices", mismatches, f"{java.size} tokens")


def _check_batches(ctx: Context, random: bool) -> CheckResult:
    """Every batch of several epochs, and each epoch's offset and number of batches (every epoch
    draws its own offset)."""
    b, t, max_tokens, epochs = 4, 10, 1500, 4
    java_ds = ctx.dataset(b, t, random, max_tokens)
    twin = TwinDataset(ctx.corpus[:max_tokens], b, t, random, ctx.setup.seed)
    offset, num_batches = ctx.java.layout(java_ds)
    mismatches = int(offset != twin.offset) + int(num_batches != twin.num_batches)
    count, offsets = 0, []
    for _ in range(epochs):
        twin_batches = list(twin.next_epoch())
        java_batches = ctx.java.epoch(java_ds)
        offsets.append(twin.offset)
        offset, num_batches = ctx.java.layout(java_ds)
        mismatches += int(offset != twin.offset) + int(num_batches != twin.num_batches)
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
