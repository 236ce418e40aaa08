"""The statistics of the performance gate, below everything else in the guard.

- ``verdicts``: the vocabulary (verdicts, units, defaults, option checks, FDR q-values).
- ``one_look``: one look: Welch (or, for side-by-side rounds, paired) intervals on log units
  at the alpha spent at that look,
  Benjamini-Hochberg across cases, "same" when the interval lies inside the threshold.
- ``sequential_design``: the sequential design of an A/B session and the replay of its looks.
- ``round_units``: a round's pair of units from its samples (the paired median, or minima).

Why: docs/timing.md ("the gate").
"""
