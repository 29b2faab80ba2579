"""Live plot widgets shared by the assessment and device screens."""
