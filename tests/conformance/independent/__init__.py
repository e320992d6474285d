"""An independent adapter (lxml and the standard library only) and its single-defect variants and
standard-conformant alternatives: the yardstick of the conformance suite's detection rate."""
