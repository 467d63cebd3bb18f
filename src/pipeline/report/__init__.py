"""Report: the report's data, charts and HTML; rendering executed notebooks."""
