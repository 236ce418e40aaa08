"""Allocations of known size for the peak-memory tests: NumPy arrays and raw C buffers.

A helper module (not a test file) so that ``test_peakrss`` and the fresh interpreters it starts
import the same functions without a test module importing itself.
"""

from __future__ import annotations

import ctypes

import numpy as np


def libc() -> ctypes.CDLL:
    """glibc with the prototypes of malloc, memset and free."""
    lib = ctypes.CDLL("libc.so.6")
    lib.malloc.restype = ctypes.c_void_p
    lib.malloc.argtypes = [ctypes.c_size_t]
    lib.memset.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t]
    lib.free.argtypes = [ctypes.c_void_p]
    return lib


def touch_numpy(n_bytes: int) -> None:
    """Allocate, touch and free a NumPy array of ``n_bytes``."""
    block = np.ones(n_bytes // 8)
    del block


def touch_c(n_bytes: int) -> None:
    """Allocate, touch and free a C buffer of ``n_bytes`` (never seen by tracemalloc)."""
    lib = libc()
    pointer = lib.malloc(n_bytes)
    assert pointer
    lib.memset(pointer, 1, n_bytes)
    lib.free(pointer)
