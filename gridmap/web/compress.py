"""gzip for pages, data and assets: a map page's GeoJSON shrinks about tenfold.

Intranet links in street offices are often slow; the map's first view should cost as little
transfer as possible. Static files never change while the server runs, so their compressed
bytes are kept after the first request.
"""

from __future__ import annotations

import gzip
import threading

from flask import Flask, Response, request

TYPES = {
    "text/html",
    "text/css",
    "text/javascript",
    "application/javascript",
    "application/json",
    "application/geo+json",
    "image/svg+xml",
}
MIN_SIZE = 1024
_cache: dict[tuple[str, str], bytes] = {}
_lock = threading.Lock()


def init_app(app: Flask) -> None:
    app.after_request(_compress)


def _compress(response: Response) -> Response:
    if (
        response.status_code != 200
        or "gzip" not in request.headers.get("Accept-Encoding", "")
        or response.mimetype not in TYPES
        or "Content-Encoding" in response.headers
    ):
        return response
    static = response.direct_passthrough
    response.direct_passthrough = False
    key = (request.path, response.headers.get("ETag", ""))
    body = _cache.get(key) if static else None
    if body is not None and hasattr(response.response, "close"):
        response.response.close()  # the file we no longer need to read
    if body is None:
        source = response.response
        data = response.get_data()  # reads a static file's wrapper into memory, and drops it
        if source is not response.response and hasattr(source, "close"):
            source.close()  # so close the file now, not when the collector finds it
        if len(data) < MIN_SIZE:
            return response
        body = gzip.compress(data, compresslevel=6)
        if static:
            with _lock:
                _cache[key] = body
    response.set_data(body)
    response.headers["Content-Encoding"] = "gzip"
    response.headers["Content-Length"] = str(len(body))
    response.vary.add("Accept-Encoding")
    return response
