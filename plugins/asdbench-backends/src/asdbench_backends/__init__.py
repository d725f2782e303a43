"""Scoring back ends beside k-means: neighbour-based and Gaussian (see ``plugin``)."""
