"""Telephone numbers of the simulated world.

Our own subscribers get `138xxxxxxxx` numbers that are a bijective function of
(seed, customer index), so any customer can name another customer's number without
knowing how large the population is. Everyone else (other operators' subscribers,
landlines) gets prefixes that can never collide with ours, and the competitors'
hotlines are the contract's default policy numbers.
"""

from __future__ import annotations

import hashlib
from random import Random

OWN_HOTLINE = "10086"
COMPETITOR_HOTLINES = ("10010", "10000", "10099")

_OWN_PREFIX = "138"
_SPAN = 10**8
# Odd and not a multiple of 5, hence coprime with 10**8: index -> number is a bijection.
_MULTIPLIER = 39_916_801
_EXTERNAL_MOBILE_PREFIXES = ("139", "186", "133", "150", "177", "189")
_LANDLINE_AREAS = ("20", "21", "755", "28", "571", "25")


def stable_int(*parts: object) -> int:
    """A 64-bit integer derived from `parts`, stable across runs and platforms."""
    text = "/".join(str(part) for part in parts)
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


def subscriber_msisdn(seed: int, index: int) -> str:
    """Our subscriber's own number: unique per customer index for a given seed."""
    offset = stable_int("msisdn", seed) % _SPAN
    return f"{_OWN_PREFIX}{(index * _MULTIPLIER + offset) % _SPAN:08d}"


def external_number(rng: Random) -> str:
    """A number outside our network: another operator's mobile or a landline."""
    if rng.random() < 0.75:
        number = f"{rng.choice(_EXTERNAL_MOBILE_PREFIXES)}{rng.randrange(_SPAN):08d}"
        return f"+86{number}" if rng.random() < 0.15 else number
    area = rng.choice(_LANDLINE_AREAS)
    return f"0{area}{rng.randrange(10 ** (10 - len(area))):0{10 - len(area)}d}"


def competitor_hotline(rng: Random) -> str:
    """A competitor's customer-service or porting number, as dialled."""
    number = rng.choice(COMPETITOR_HOTLINES)
    if rng.random() < 0.1:
        number += str(rng.randrange(1, 10))  # an IVR extension: still "starts with"
    return f"+86{number}" if rng.random() < 0.3 else number


def is_competitor_number(counterpart: str) -> bool:
    """The contract's matching rule: strip +86/0086, then equal to or starts with a hotline."""
    for prefix in ("+86", "0086"):
        if counterpart.startswith(prefix):
            counterpart = counterpart[len(prefix) :]
            break
    return counterpart.startswith(COMPETITOR_HOTLINES)
