"""Client reliability: payment behaviour, warning signs, score and recommended policy (pure)."""
