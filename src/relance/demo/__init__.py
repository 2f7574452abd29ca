"""Demo portfolios: a deterministic generator shared by `relance demo`, tests and benchmarks."""
