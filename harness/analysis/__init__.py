"""The paper's mechanism analyses: weights (task vectors), policy (KL), inheritance, compute."""
