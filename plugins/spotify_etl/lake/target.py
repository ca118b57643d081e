"""Where the lake lives: a folder, S3 or any fsspec file system, and one partition's write.

A partition is `table=<t>/snapshot_date=<YYYY-MM-DD>/part-0.parquet`. On a disk it is written
under a hidden temporary name and renamed onto `part-0.parquet`; on an object store the PUT of
`part-0.parquet` replaces it whole. Then every other file of that partition is removed: a rerun
replaces the partition, never adds to it. URLs may carry credentials, so only `shown()` is
ever printed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.fs as pafs

PART = "part-0.parquet"


def shown(url: str) -> str:
    """The URL without a password or query string (which may hold keys), fit for a log line."""
    parts = urlsplit(url)
    if not parts.scheme or len(parts.scheme) == 1:  # a path (or a Windows drive letter)
        return url
    host = parts.netloc.rsplit("@", 1)[-1]
    return f"{parts.scheme}://{host}{parts.path}"


@dataclass(frozen=True)
class Lake:
    """An opened lake: its file system and the base path inside it."""

    filesystem: pafs.FileSystem
    base: str
    url: str

    def partition(self, table: str, snapshot_date: date) -> str:
        return f"{self.base}/table={table}/snapshot_date={snapshot_date.isoformat()}"


def open_lake(url: str) -> Lake:
    """Open a lake URL: a local path, file://, s3://, gs://, hdfs:// (Arrow's own file
    systems) or anything fsspec knows."""
    import pyarrow.fs as pafs

    parts = urlsplit(url)
    if not parts.scheme or len(parts.scheme) == 1 or parts.scheme == "file":
        path = Path(parts.path if parts.scheme == "file" else url).expanduser().absolute()
        path.mkdir(parents=True, exist_ok=True)
        return Lake(pafs.LocalFileSystem(), path.as_posix(), url)
    try:
        filesystem, base = pafs.FileSystem.from_uri(url)
    except Exception:  # noqa: BLE001 - not one of Arrow's schemes: fsspec may know it
        import fsspec
        from pyarrow.fs import FSSpecHandler, PyFileSystem

        fs, base = fsspec.core.url_to_fs(url)
        filesystem = PyFileSystem(FSSpecHandler(fs))
    return Lake(filesystem, base.rstrip("/"), url)


def write_partition(lake: Lake, table: str, snapshot_date: date, data: pa.Table) -> str:
    """Replace one partition with `data`; return the written file's path."""
    import pyarrow.fs as pafs
    import pyarrow.parquet as pq

    directory = lake.partition(table, snapshot_date)
    final = f"{directory}/{PART}"
    if lake.filesystem.type_name == "local":
        # A reader never sees half a file: write aside, then rename over the old one.
        lake.filesystem.create_dir(directory, recursive=True)
        temporary = f"{directory}/.{PART}.{uuid.uuid4().hex}.tmp"  # readers skip dot-files
        pq.write_table(data, temporary, filesystem=lake.filesystem, compression="zstd")
        lake.filesystem.move(temporary, final)
    else:
        # An object store's PUT replaces the object whole (a reader sees the old or the new
        # one), and a move there would be a copy plus a delete, so the part is written in place.
        pq.write_table(data, final, filesystem=lake.filesystem, compression="zstd")
    for info in lake.filesystem.get_file_info(pafs.FileSelector(directory)):
        if info.type == pafs.FileType.File and info.path.rstrip("/") != final:
            lake.filesystem.delete_file(info.path)  # an older layout's parts, a dead temp
    return final
