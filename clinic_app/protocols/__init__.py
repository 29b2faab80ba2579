"""Qt-free, deterministic test protocols (state machines fed with sample batches)."""
