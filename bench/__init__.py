"""Benchmarks that print tables (not timed tests); compare figures as ratios within one run."""
