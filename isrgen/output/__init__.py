"""Stage 5, files: render the planned outputs, write them atomically, and the depfile."""
