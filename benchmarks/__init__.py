"""`make bench`: measured figures for the pipeline's hot paths, printed as a table."""
