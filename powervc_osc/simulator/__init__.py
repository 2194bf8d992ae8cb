"""A PowerVC simulator for trying the plugin and testing scripts."""
