"""Judging from the wire: evidence, one classifier per feature group, strictness, the matrix and
its verdicts."""
