"""A run on disk and in motion: its files, the index of runs, driving the graph, the report."""
