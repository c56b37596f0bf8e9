"""Stand-in for OpenCV: DemoVLP's base/base_dataset.py imports cv2 at module level; the metadata code the
fixture generators run never calls it."""
