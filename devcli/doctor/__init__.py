"""`devcli doctor`: checks of everything a run depends on, each with a verdict and a fix."""
