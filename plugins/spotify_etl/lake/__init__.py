"""The Parquet lake: each snapshot day's data as files analysts open without a database.

`tables` turns stored documents into rows (pure), `source` reads one day from the store,
`target` writes a partition to a folder, S3 or any fsspec URL, and `export` ties them together
for the DAG, the CLI and the demo. Nothing here talks to Spotify. Schema: docs/lake.md.
"""
