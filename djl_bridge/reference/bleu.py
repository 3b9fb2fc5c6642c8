"""The book's BLEU (D2L 9.7), the twin of ``Seq2Seq.bleu``."""
from __future__ import annotations

import collections
import math

#: The book divides the lengths in floating point; False divides them as the Java text does
#: (``int``), which makes the brevity penalty 1 whenever the label is less than twice as long.
FLOAT_DIVISION = True


def bleu(pred_seq: str, label_seq: str, k: int) -> float:
    """``exp(min(0, 1 - len_label / len_pred)) * prod_n p_n ** 0.5 ** n``, n = 1..k. A prediction
    shorter than k tokens scores 0 (the book divides by zero there)."""
    pred_tokens, label_tokens = pred_seq.split(" "), label_seq.split(" ")
    len_pred, len_label = len(pred_tokens), len(label_tokens)
    if len_pred < k:
        return 0.0
    ratio = len_label / len_pred if FLOAT_DIVISION else len_label // len_pred
    score = math.exp(min(0, 1 - ratio))
    for n in range(1, k + 1):
        num_matches, label_subs = 0, collections.defaultdict(int)
        for i in range(len_label - n + 1):
            label_subs[" ".join(label_tokens[i:i + n])] += 1
        for i in range(len_pred - n + 1):
            key = " ".join(pred_tokens[i:i + n])
            if label_subs[key] > 0:
                num_matches += 1
                label_subs[key] -= 1
        score *= math.pow(num_matches / (len_pred - n + 1), math.pow(0.5, n))
    return score
