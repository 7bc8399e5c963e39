"""Recipes for mounting reconciler in web frameworks; the test suite runs each one."""
