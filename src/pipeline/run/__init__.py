"""Run: the step graph, papermill, incremental skipping, many documents on an Executor."""
