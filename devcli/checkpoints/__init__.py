"""Checkpoints of the work tree in hidden git refs: taking them, restoring them, undo, the
end-of-run report and pruning."""
