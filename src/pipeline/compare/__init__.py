"""Compare: periods, baselines against earlier years and peers, consistency checks."""
