"""Model soup: the paper's six merge methods through mergekit (``harness.merge.merge.merge``)."""
