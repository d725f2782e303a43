"""The plugin machinery: hook specifications, spec records, the plugin manager, components by
kind and name with their options, presets, and core's own components as a plugin."""
