"""Benchmarks of the gateway against a floor relay: ``python -m bench --help``. Not part of the unit tests."""
