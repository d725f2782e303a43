"""Example asdbench plugin: the ``pump_station`` dataset."""
