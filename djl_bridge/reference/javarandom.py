"""``java.util.Random`` and ``Collections.shuffle(list, rnd)`` in Python, so that the twin draws
exactly the offset and the per-epoch shuffles the Java dataset draws from the same seed.

``java.util.Random`` is a 48-bit linear congruential generator (Knuth, TAOCP 3.2.1):
``seed <- (seed * 0x5DEECE66D + 0xB) mod 2**48``, and ``next(bits)`` returns the top ``bits`` of
the new seed as a signed 32-bit int.
"""
from __future__ import annotations

from typing import MutableSequence, TypeVar

_MULTIPLIER = 0x5DEECE66D
_ADDEND = 0xB
_MASK = (1 << 48) - 1

T = TypeVar("T")


def _to_int32(value: int) -> int:
    """Wraps an integer to Java's signed 32-bit ``int``."""
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >= (1 << 31) else value


class JavaRandom:
    """The generator of ``new java.util.Random(seed)``."""

    def __init__(self, seed: int) -> None:
        # The constructor scrambles the seed: (seed ^ multiplier) & mask (Python's & on a negative
        # int keeps its two's complement low bits, as Java's long does).
        self._seed = (seed ^ _MULTIPLIER) & _MASK

    def next_bits(self, bits: int) -> int:
        """``Random.next(bits)``: advances the LCG and returns its top ``bits`` bits."""
        self._seed = (self._seed * _MULTIPLIER + _ADDEND) & _MASK
        return _to_int32(self._seed >> (48 - bits))

    def next_int(self, bound: int) -> int:
        """``Random.nextInt(bound)``: uniform in [0, bound)."""
        if bound <= 0:
            raise ValueError(f"bound must be positive, got {bound}")
        r = self.next_bits(31)
        m = bound - 1
        if bound & m == 0:
            # A power of two: the top bits, as (int) ((bound * (long) r) >> 31).
            return (bound * r) >> 31
        # Rejection: Java loops while u - (u % bound) + m overflows a signed int, so that every
        # residue is equally likely.
        u = r
        while True:
            r = u % bound
            if u - r + m < (1 << 31):
                return r
            u = self.next_bits(31)


def java_shuffle(items: MutableSequence[T], rnd: JavaRandom) -> None:
    """``Collections.shuffle(list, rnd)`` for a random-access list, in place: for i from
    size - 1 down to 1, swap item i with item ``rnd.nextInt(i + 1)``."""
    for i in range(len(items) - 1, 0, -1):
        j = rnd.next_int(i + 1)
        items[i], items[j] = items[j], items[i]
