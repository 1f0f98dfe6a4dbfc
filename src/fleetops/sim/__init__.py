"""The fleet simulator: deterministic fleets and fault injection, through production code paths."""
