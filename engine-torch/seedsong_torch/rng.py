"""Seedsong's seeded random numbers (electron/engine/rng.ts), bit for bit.

The window order of an epoch is a Fisher-Yates shuffle driven by sfc32 seeded through
deriveSeed(seed, 'shuffle', epoch). Ported rather than precomputed by the TypeScript side, because
a resumed run may train more epochs than the job was written for. JavaScript's 32-bit operators
(Math.imul, >>> 0, ToInt32 in ^ and <<) are emulated with masks: every state word is kept as an
unsigned 32-bit integer, which gives the same low 32 bits JavaScript keeps.
"""

M32 = 0xFFFFFFFF


def _imul(a: int, b: int) -> int:
    return (a * b) & M32


def _splitmix32(seed: int):
    a = seed & M32

    def nxt() -> int:
        nonlocal a
        a = (a + 0x9E3779B9) & M32
        z = a
        z = _imul(z ^ (z >> 16), 0x21F0AAAD)
        z = _imul(z ^ (z >> 15), 0x735A2D97)
        return (z ^ (z >> 15)) & M32

    return nxt


def _floor_div_2_32(v: int) -> int:
    # Math.floor(v / 0x100000000) for the integers the engine passes (seeds, epochs, steps).
    return v // 0x100000000


def derive_seed(seed: int, *labels) -> int:
    """deriveSeed(seed, ...labels): a 32-bit seed from a seed and numbers or strings."""
    h = (int(seed) ^ 0x5BD1E995) & M32

    def mix(v: int) -> None:
        nonlocal h
        h = _imul(h ^ (v & M32), 0x01000193)
        h = (h ^ (h >> 13)) & M32
        h = _imul(h, 0x5BD1E995)

    mix(_floor_div_2_32(int(seed)))
    for label in labels:
        if isinstance(label, str):
            for ch in label.encode("utf-16-le").decode("utf-16-le"):
                mix(ord(ch))
        else:
            mix(int(label))
            mix(_floor_div_2_32(int(label)))
    return _splitmix32(h)()


class Rng:
    """sfc32, as rng.ts's Rng (same seeding, warm-up and 53-bit floats)."""

    def __init__(self, seed: int):
        seed = int(seed)
        sm = _splitmix32((seed ^ _floor_div_2_32(seed)) & M32)
        self.a, self.b, self.c, self.d = sm(), sm(), sm(), sm()
        for _ in range(12):
            self.next_uint32()

    def next_uint32(self) -> int:
        a, b, c, d = self.a, self.b, self.c, self.d
        t = (a + b + d) & M32
        self.d = (d + 1) & M32
        self.a = (b ^ (b >> 9)) & M32
        self.b = (c + (c << 3)) & M32
        c = ((c << 21) | (c >> 11)) & M32
        self.c = (c + t) & M32
        return t

    def next(self) -> float:
        hi = self.next_uint32() >> 5
        lo = self.next_uint32() >> 6
        return (hi * 67108864 + lo) / 9007199254740992

    def int(self, n: int) -> int:
        return int(self.next() * n)

    def shuffle(self, items: list) -> list:
        for i in range(len(items) - 1, 0, -1):
            j = self.int(i + 1)
            items[i], items[j] = items[j], items[i]
        return items


def window_order(size: int, seed: int, epoch: int) -> list:
    """WindowSet.order(seed, epoch): the permutation of window indices for one epoch."""
    return Rng(derive_seed(seed, "shuffle", epoch)).shuffle(list(range(size)))
