"""The assessment: setup, live lunge and balance screens, results, the acquisition bridge."""
