"""The plugin system: hook specifications, spec records, the plugin manager, the registry of
components and their options, and core's own components.
"""
