"""What a corpus run publishes beside the per-document reports: the data package (datapackage.json,
documents.csv, Parquet metadata), the SQLite database and the indicator pages."""
