"""DCASE2022 and DCASE2023 Task 2 datasets for asdbench."""
