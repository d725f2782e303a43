"""Model and training: the angular-margin building blocks, the reference embedder and the training
loop.
"""
