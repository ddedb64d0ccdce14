"""Pages, data and assets travel gzip-compressed when the browser accepts it."""

from __future__ import annotations

import gzip


def test_pages_and_assets_are_compressed(client):
    for path in ("/center/", "/api/hotspots", "/static/vendor/leaflet/leaflet.js"):
        plain = client.get(path)
        packed = client.get(path, headers={"Accept-Encoding": "gzip, deflate"})
        assert packed.headers["Content-Encoding"] == "gzip", path
        assert "Accept-Encoding" in packed.headers["Vary"]
        # Folium names its elements at random, so pages match in length, not byte for byte.
        assert len(gzip.decompress(packed.data)) == len(plain.data), path
        assert len(packed.data) < len(plain.data) / 2, path
        plain.close()  # a static file's response holds the file open until closed
        packed.close()


def test_without_gzip_nothing_changes(client):
    r = client.get("/api/locate?lon=113.838&lat=30.4417")
    assert "Content-Encoding" not in r.headers and r.get_json()["street"]["code"] == "420114004"
