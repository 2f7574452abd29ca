"""Law data files (rates and rules, each figure with its source), read with importlib.resources."""
