"""The AdaProj loss for asdbench."""
