"""Reference: source.yaml and the hand-kept tables (bodies, indicator taxonomy, published facts)."""
