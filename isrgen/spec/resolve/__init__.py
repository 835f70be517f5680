"""The semantic pass of spec loading, one module per part of the spec."""
