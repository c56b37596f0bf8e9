"""Stand-in for msgpack: DemoVLP's utils/util.py imports it at module level; the metadata code never calls it."""
