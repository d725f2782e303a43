"""DCASE submission files: writing them, and scoring a submission with the official rule."""
