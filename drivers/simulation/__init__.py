"""Simulated patient and devices (``--demo``, the selftest, tests and benchmarks).

See :mod:`drivers.simulated` for the public entry points.
"""
