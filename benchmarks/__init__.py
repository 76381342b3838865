"""Benchmarks of anyloss against the frameworks' native losses (run ``bench.py``)."""
