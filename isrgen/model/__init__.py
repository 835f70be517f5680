"""Stage 2, the validated model: the frozen spec model and the frame layout computed from it."""
