"""Local tooling: the demo, the benchmarks, Airflow on this machine, the sandbox bridge.

Above everything else: it may use every room of the package, and no room of the core imports
it (import-linter checks this in `make test`).
"""
