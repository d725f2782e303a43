"""The built-in back ends (``kmeans``, ``knn``); the field's others are the
``asdbench-backends`` plugin."""
