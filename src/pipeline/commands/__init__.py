"""What each command does, once its arguments are parsed (pipeline.cli parses them): one module a
command, `main(args)` in each.

Kept apart from the parser so that `pipeline --help` and a usage error never pay for importing
pandas, papermill or trafilatura, and one module a command so that each imports only what it
uses: `pipeline run` with nothing to do imports neither pandas nor the extractor.
"""
