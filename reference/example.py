"""The seed document's 7x7 example (``gaussian_filter_image.py``): input, printed lines, record.

The document builds a 7x7 float32 image of zeros with a 3x3 block at ``[2:5, 2:5]``, filters it
with ``gaussian_filter(image, sigma=1.0, mode="reflect")`` and prints seven lines; each line of
``EXAMPLE_PRINTED`` is quoted from its ``$ python gaussian_filter_image.py`` output. The full
float32 output is stored bit for bit in ``reference/data/documented-7x7.json``.
``reference/test_documented.py`` pins it; the report shows it in its reference section.
"""

from __future__ import annotations

import json

import numpy as np

from reference import DATA_DIR

#: The document's script, as it shows it.
EXAMPLE_SOURCE = """\
import numpy as np
from scipy.ndimage import gaussian_filter

image = np.zeros((7, 7), dtype=np.float32)
image[2:5, 2:5] = np.array(
    [
        [0.2, 0.7, 0.2],
        [0.7, 1.0, 0.7],
        [0.2, 0.7, 0.2],
    ],
    dtype=np.float32,
)
filtered = gaussian_filter(image, sigma=1.0, mode="reflect")
print(f"input_shape: {image.shape}")
print(f"output_shape: {filtered.shape}")
print(f"output_dtype: {filtered.dtype}")
print(f"center_before_after: {image[3, 3]:.3f} -> {filtered[3, 3]:.3f}")
print(f"corner_after: {filtered[0, 0]:.4f}")
print("filtered_center_row:", np.array2string(filtered[3], precision=3, suppress_small=True))
print("filtered_center_column:", np.array2string(filtered[:, 3], precision=3, suppress_small=True))
"""
EXAMPLE_NAME = "seed-7x7"
EXAMPLE_RECORD = "documented-7x7.json"
EXAMPLE_PRINTED = (
    "input_shape: (7, 7)",
    "output_shape: (7, 7)",
    "output_dtype: float32",
    "center_before_after: 1.000 -> 0.476",
    "corner_after: 0.0011",
    "filtered_center_row: [0.025 0.133 0.349 0.476 0.349 0.133 0.025]",
    "filtered_center_column: [0.025 0.133 0.349 0.476 0.349 0.133 0.025]",
)


def example_image() -> np.ndarray:
    """The document's input: 7x7 float32 zeros with a 3x3 bright block at [2:5, 2:5]."""
    image = np.zeros((7, 7), dtype=np.float32)
    image[2:5, 2:5] = np.array(
        [[0.2, 0.7, 0.2], [0.7, 1.0, 0.7], [0.2, 0.7, 0.2]], dtype=np.float32
    )
    return image


def example_printed_lines(image: np.ndarray, filtered: np.ndarray) -> tuple[str, ...]:
    """The seven lines, made with the document's own format calls."""

    def row(values: np.ndarray) -> str:
        return np.array2string(values, precision=3, suppress_small=True)

    return (
        f"input_shape: {image.shape}",
        f"output_shape: {filtered.shape}",
        f"output_dtype: {filtered.dtype}",
        f"center_before_after: {image[3, 3]:.3f} -> {filtered[3, 3]:.3f}",
        f"corner_after: {filtered[0, 0]:.4f}",
        "filtered_center_row: " + row(filtered[3]),
        "filtered_center_column: " + row(filtered[:, 3]),
    )


def example_record_bits() -> np.ndarray:
    """The recorded float32 output, as its uint32 bit patterns (validated on load)."""
    data = json.loads((DATA_DIR / EXAMPLE_RECORD).read_text(encoding="utf-8"))
    rows = data.get("float32_bits")
    if data.get("schema") != 1 or not isinstance(rows, list) or len(rows) != 7:
        raise ValueError(f"{EXAMPLE_RECORD}: expected schema 1 with 7 rows of float32 bits")
    bits = np.array([[int(word, 16) for word in str(r).split()] for r in rows], dtype=np.uint32)
    if bits.shape != (7, 7):
        raise ValueError(f"{EXAMPLE_RECORD}: expected 7x7 float32 bits, got {bits.shape}")
    return bits
