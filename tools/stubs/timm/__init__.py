"""Stand-in package for the parts of timm that DemoVLP's object_transformer.py imports."""
