"""Example asdbench plugin: the ``centroid`` back end."""
