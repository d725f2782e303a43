"""Data: the clip table, DCASE file names and trees, ground truth, audio decoding and its cache,
datasets (the DCASE layout, the synthetic ones) and downloads.
"""
