"""The benchmarks of SPEC's speed and size bars: ``python -m bench`` (``make bench``)."""
