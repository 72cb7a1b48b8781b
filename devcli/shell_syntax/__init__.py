"""Reading bash commands with a real parser: the simple commands a line runs, through
wrappers, substitutions and a fallback reader for what the parser rejects."""
