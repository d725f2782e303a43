"""Pretrained audio encoders as asdbench embedders (see ``plugin``)."""
