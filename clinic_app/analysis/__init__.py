"""Qt-free analysis: COP, preprocessing, sway metrics, lunge and balance trials, change."""
