"""Tests of the Qt-free analysis core."""
