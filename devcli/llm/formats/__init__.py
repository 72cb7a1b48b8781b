"""How prompts are written for a model and how its replies are read back into tool calls."""
