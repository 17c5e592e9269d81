"""Side-by-side timings of chainrule against PyTorch and hand-written NumPy.

Run ``python -m benchmarks.run [--quick] [--only NAME ...]``; see benchmarks/RESULTS.md.
"""
