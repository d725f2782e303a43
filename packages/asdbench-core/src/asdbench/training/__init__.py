"""Training and embedding: the training settings, the loop that trains an embedder with a
loss, and the extraction of every clip's embedding."""
