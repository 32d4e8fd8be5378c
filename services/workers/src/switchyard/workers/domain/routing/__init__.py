"""Provider routing: a multi-armed bandit (Thompson sampling over Beta posteriors)."""
