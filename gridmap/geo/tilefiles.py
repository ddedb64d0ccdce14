"""A base map from a file the street supplies: raster tiles in MBTiles or PMTiles, read here.

A street office's intranet usually reaches no tile server, and Tianditu needs the internet. So
the street gets its base map once, as one file (from the district's surveying office, exported
from a desktop GIS, ``gdal_translate -of MBTILES`` or ``pmtiles convert``), and gridmap serves its
tiles itself. Only raster tiles (PNG, JPEG, WebP) are shown: Leaflet draws them as images;
vector tiles would need a renderer gridmap does not ship.

- **MBTiles** is an SQLite database: a ``tiles`` table (or view) of zoom level, column, row
  and image, with rows counted from the south (TMS), so a map's y is flipped; a ``metadata``
  table names the format, bounds, zoom levels and attribution. It is opened read-only
  (``mode=ro``); a request borrows a connection of a small pool and gives it back, so no
  connection is ever used by two threads at once.
- **PMTiles** (version 3) is one file with a header, a directory of tiles and the tiles
  themselves, addressed by byte ranges; it is read with Protomaps' own ``pmtiles`` package,
  through ``os.pread`` on the local file (no shared file position, so threads may share it).

The street may replace the file while gridmap runs: :class:`TileSource` notices (its inode, size
and time) and opens the new one; its ``version`` changes, and with it the tiles' addresses.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import hashlib
import html
import math
import os
import re
import sqlite3
import threading
import zlib
from dataclasses import dataclass
from pathlib import Path

from gridmap.core.errors import ConfigError

SUFFIXES = (".mbtiles", ".pmtiles")
WORLD = (-180.0, -85.0511287798, 180.0, 85.0511287798)  # what Web Mercator tiles can cover
MEDIA_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}
VECTOR = {"pbf", "mvt", "mlt"}
RASTER_ONLY = "gridmap 只能显示栅格瓦片（PNG、JPEG、WebP），请将底图导出为栅格瓦片。"
# What a damaged file raises while it is read (a directory that does not decompress or decode).
DAMAGED = (ValueError, EOFError, OSError, zlib.error, IndexError, KeyError, sqlite3.DatabaseError)


@dataclass(frozen=True)
class TileSet:
    """What a map needs to know of the file, from its own metadata."""

    kind: str  # "MBTiles" or "PMTiles"
    path: Path
    format: str  # a key of MEDIA_TYPES: how most of its tiles are stored
    min_zoom: int
    max_zoom: int
    bounds: tuple[float, float, float, float]  # west, south, east, north (WGS84)
    attribution: str  # plain text
    version: str  # changes whenever the file does


def names_file(setting: str) -> bool:
    """Whether a ``TILES`` setting names a local file rather than a tile server."""
    text = setting.strip()
    return text.lower().endswith(SUFFIXES) and "://" not in text and "{z}" not in text


def path_of(setting: str, instance_dir: str | Path) -> Path:
    """The file a ``TILES`` setting names; a relative path is taken in the instance folder,
    beside ``gridmap.toml``."""
    path = Path(setting.strip()).expanduser()
    return path if path.is_absolute() else Path(instance_dir) / path


def sniff(data: bytes) -> str | None:
    """The image format of a tile, judged by its first bytes, or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def media_type(data: bytes, stored: str) -> str:
    """A tile's media type: by its content (one file may mix PNG and JPEG tiles), else the
    file's format."""
    return MEDIA_TYPES[sniff(data) or stored]


class MBTiles:
    """An MBTiles file, read-only."""

    def __init__(self, path: Path, version: str):
        self._uri = path.absolute().as_uri() + "?mode=ro"
        self._idle: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        try:
            with self._connection() as conn:
                self.meta = _mbtiles_meta(conn, path, version)
        except sqlite3.DatabaseError as exc:
            raise ConfigError(
                f"底图文件 {path} 无法作为 MBTiles 读取（文件损坏或不完整：{exc}）。"
            ) from None

    @contextlib.contextmanager
    def _connection(self):
        with self._lock:
            conn = self._idle.pop() if self._idle else None
        if conn is None:
            conn = sqlite3.connect(self._uri, uri=True, check_same_thread=False)
        try:
            yield conn
        finally:
            with self._lock:
                self._idle.append(conn)

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        if not _within(self.meta, z, x, y):
            return None
        row = (1 << z) - 1 - y  # MBTiles counts rows from the south (TMS)
        try:
            with self._connection() as conn:
                found = conn.execute(
                    "SELECT tile_data FROM tiles"
                    " WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
                    (z, x, row),
                ).fetchone()
        except sqlite3.DatabaseError as exc:
            raise _damaged(self.meta.path) from exc
        return bytes(found[0]) if found and found[0] else None

    def __del__(self):
        for conn in getattr(self, "_idle", ()):
            conn.close()


def _mbtiles_meta(conn: sqlite3.Connection, path: Path, version: str) -> TileSet:
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    if "tiles" not in tables:
        raise ConfigError(f"底图文件 {path} 不是 MBTiles 文件：其中没有 tiles 表。")
    values = {}
    if "metadata" in tables:
        values = {str(k): str(v) for k, v in conn.execute("SELECT name, value FROM metadata")}
    first = conn.execute("SELECT tile_data FROM tiles LIMIT 1").fetchone()
    if first is None or not first[0]:
        raise ConfigError(f"底图文件 {path} 中没有任何瓦片。")
    stored = values.get("format", "").strip().lower()
    stored = {"jpg": "jpeg"}.get(stored, stored)
    if stored in VECTOR or bytes(first[0][:2]) == b"\x1f\x8b":
        raise ConfigError(f"底图文件 {path} 是矢量瓦片：{RASTER_ONLY}")
    try:
        if "minzoom" in values and "maxzoom" in values:
            low, high = int(values["minzoom"]), int(values["maxzoom"])
        else:
            low, high = conn.execute(
                "SELECT min(zoom_level), max(zoom_level) FROM tiles"
            ).fetchone()
        bounds = (
            tuple(float(v) for v in values["bounds"].split(","))
            if "bounds" in values
            else _extent(conn, int(high))
        )
    except ValueError:
        raise ConfigError(
            f"底图文件 {path} 的元数据无效（minzoom、maxzoom 应为整数，"
            "bounds 应为“西,南,东,北”四个数）。"
        ) from None
    return TileSet(
        kind="MBTiles",
        path=path,
        format=stored if stored in MEDIA_TYPES else _format(bytes(first[0]), path),
        min_zoom=int(low),
        max_zoom=int(high),
        bounds=_clamp(bounds, path),
        attribution=plain_text(values.get("attribution", "")),
        version=version,
    )


def _extent(conn: sqlite3.Connection, zoom: int) -> tuple[float, float, float, float]:
    """No bounds written: the extent of the tiles at the deepest zoom."""
    col_min, col_max, row_min, row_max = conn.execute(
        "SELECT min(tile_column), max(tile_column), min(tile_row), max(tile_row)"
        " FROM tiles WHERE zoom_level = ?",
        (zoom,),
    ).fetchone()
    n = 1 << zoom
    west, north = _corner(col_min, n - 1 - row_max, zoom)
    east, south = _corner(col_max + 1, n - row_min, zoom)
    return (west, south, east, north)


def _corner(x: int, y: int, z: int) -> tuple[float, float]:
    """The north-west corner (lon, lat) of tile x, y at zoom z."""
    n = 1 << z
    return x / n * 360.0 - 180.0, math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / n))))


class PMTiles:
    """A PMTiles (version 3) file, read by byte ranges with the ``pmtiles`` package."""

    def __init__(self, path: Path, version: str):
        # Imported here, so that only a street that supplies a PMTiles file loads it.
        from pmtiles import reader, tile

        self._tile = tile
        self._fd = os.open(path, os.O_RDONLY)
        fd = self._fd  # not self: the cache must not keep the file from being closed

        @functools.lru_cache(maxsize=32)
        def directory(offset: int, length: int) -> list:
            return tile.deserialize_directory(os.pread(fd, length, offset))

        self._directory = directory
        whole = reader.Reader(self._read)
        try:
            self._header = header = whole.header()
            first = next(reader.all_tiles(self._read), None)
            metadata = whole.metadata() if header["metadata_length"] else {}
        except tile.SpecVersionUnsupported:
            raise ConfigError(
                f"底图文件 {path} 是旧版 PMTiles：请用 pmtiles convert 转为第 3 版。"
            ) from None
        except DAMAGED:
            raise _damaged(path) from None
        if first is None:
            raise ConfigError(f"底图文件 {path} 中没有任何瓦片。")
        if header["tile_type"].name in ("MVT", "MLT"):
            raise ConfigError(f"底图文件 {path} 是矢量瓦片：{RASTER_ONLY}")
        if header["tile_compression"] in (tile.Compression.BROTLI, tile.Compression.ZSTD):
            raise ConfigError(f"底图文件 {path} 的瓦片经 Brotli/Zstd 压缩：{RASTER_ONLY}")
        self._gzipped = header["tile_compression"] == tile.Compression.GZIP
        stored = header["tile_type"].name.lower()
        corners = ("min_lon_e7", "min_lat_e7", "max_lon_e7", "max_lat_e7")
        self.meta = TileSet(
            kind="PMTiles",
            path=path,
            format=stored if stored in MEDIA_TYPES else _format(self._unpack(first[1]), path),
            min_zoom=header["min_zoom"],
            max_zoom=header["max_zoom"],
            bounds=_clamp(tuple(header[k] / 1e7 for k in corners), path),
            attribution=plain_text(str((metadata or {}).get("attribution", ""))),
            version=version,
        )

    def _read(self, offset: int, length: int) -> bytes:
        return os.pread(self._fd, length, offset)

    def _find(self, z: int, x: int, y: int) -> bytes | None:
        """pmtiles' ``Reader.get``, with the directories it passes through kept parsed: it
        decompresses and decodes them anew for every tile (13 ms a tile in a file of 13,000
        tiles here, against 0.01 ms kept)."""
        tile_id = self._tile.zxy_to_tileid(z, x, y)
        header = self._header
        offset, length = header["root_offset"], header["root_length"]
        for _depth in range(4):  # the format's deepest nesting
            entry = self._tile.find_tile(self._directory(offset, length), tile_id)
            if entry is None:
                return None
            if entry.run_length > 0:
                return self._read(header["tile_data_offset"] + entry.offset, entry.length)
            offset, length = header["leaf_directory_offset"] + entry.offset, entry.length
        return None

    def _unpack(self, data: bytes) -> bytes:
        return gzip.decompress(data) if self._gzipped else data

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        if not _within(self.meta, z, x, y):
            return None
        try:
            data = self._find(z, x, y)
            return self._unpack(data) if data else None
        except DAMAGED as exc:
            raise _damaged(self.meta.path) from exc

    def __del__(self):
        # Closed only when no request holds the file any more (a replaced file's old copy).
        if getattr(self, "_fd", None) is not None:
            os.close(self._fd)
            self._fd = None


def open_file(path: Path) -> MBTiles | PMTiles:
    """Open a tile file by what it holds (not by its name), or say in words why not."""
    version = _version(path)
    try:
        with open(path, "rb") as f:
            head = f.read(16)
    except OSError as exc:
        raise ConfigError(f"底图文件无法读取：{path}（{exc.strerror}）。") from None
    if head.startswith(b"SQLite format 3\x00"):
        return MBTiles(path, version)
    if head.startswith(b"PMTiles"):
        return PMTiles(path, version)
    raise ConfigError(
        f"底图文件 {path} 既不是 MBTiles 也不是 PMTiles 文件"
        "（可由桌面 GIS、gdal_translate -of MBTILES 或 pmtiles convert 生成）。"
    )


class TileSource:
    """The street's tile file, opened at once (a bad file stops gridmap from starting) and
    again whenever it changes on disk."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        self._file = open_file(path)

    def current(self) -> MBTiles | PMTiles:
        version = _version(self.path)
        if self._file.meta.version != version:
            with self._lock:
                if self._file.meta.version != version:
                    self._file = open_file(self.path)
        return self._file


def plain_text(markup: str) -> str:
    """Attribution as plain text: files often carry it as HTML links, which the page would
    otherwise set as HTML."""
    return html.unescape(re.sub(r"<[^>]*>", "", markup or "")).strip()


def _version(path: Path) -> str:
    try:
        found = path.stat()
    except FileNotFoundError:
        raise ConfigError(f"找不到底图文件：{path}（底图设置 GRIDMAP_TILES）。") from None
    except OSError as exc:
        raise ConfigError(f"底图文件无法读取：{path}（{exc.strerror}）。") from None
    if not path.is_file():
        raise ConfigError(f"底图设置 GRIDMAP_TILES 指向的不是文件：{path}。")
    key = f"{found.st_ino}:{found.st_size}:{found.st_mtime_ns}".encode()
    return hashlib.sha1(key).hexdigest()[:12]


def _within(meta: TileSet, z: int, x: int, y: int) -> bool:
    return meta.min_zoom <= z <= meta.max_zoom and 0 <= x < 1 << z and 0 <= y < 1 << z


def _format(data: bytes, path: Path) -> str:
    found = sniff(data)
    if found is None:
        raise ConfigError(f"底图文件 {path} 中的瓦片不是 PNG、JPEG 或 WebP 图片：{RASTER_ONLY}")
    return found


def _clamp(bounds: tuple, path: Path) -> tuple[float, float, float, float]:
    if len(bounds) != 4 or not all(math.isfinite(v) for v in bounds):
        raise ConfigError(f"底图文件 {path} 的范围（bounds）无效：{bounds}。")
    west, south, east, north = bounds
    if west >= east or south >= north:
        raise ConfigError(f"底图文件 {path} 的范围（bounds）无效：{bounds}。")
    return (max(west, WORLD[0]), max(south, WORLD[1]), min(east, WORLD[2]), min(north, WORLD[3]))


def _damaged(path: Path) -> ConfigError:
    return ConfigError(f"底图文件 {path} 无法读取：文件损坏或不完整，请重新导出。")
