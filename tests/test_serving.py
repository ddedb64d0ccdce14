"""gridmap's production server: HTTP through waitress, HTTPS through cheroot with the
configured certificate (what a phone's service worker needs on an intranet)."""

from __future__ import annotations

import socket
import ssl
import subprocess
import threading
import urllib.request

import pytest

from gridmap import create_app
from gridmap.core.errors import ConfigError
from gridmap.store import db
from gridmap.web import serving


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def serve(app):
    server = serving.Server(app, "127.0.0.1", free_port())
    threading.Thread(target=server.run, daemon=True).start()
    return server


def get(url: str, context=None):
    for _ in range(50):  # the server thread may still be starting
        try:
            return urllib.request.urlopen(url, timeout=10, context=context)
        except (ConnectionRefusedError, urllib.error.URLError) as exc:
            if "refused" not in str(exc).lower():
                raise
            threading.Event().wait(0.1)
    raise AssertionError(f"{url} never answered")


def test_https_with_the_configured_certificate(settings, demo_loaded, certificate):
    cert, key = certificate
    app = create_app({**settings, "TESTING": True, "TLS_CERT": str(cert), "TLS_KEY": str(key)})
    server = serve(app)
    try:
        assert server.https and server.url.startswith("https://")
        trusted = ssl.create_default_context(cafile=str(cert))
        with get(server.url + "signin", trusted) as r:
            assert r.status == 200 and "登录" in r.read().decode()
            cookie = r.headers["Set-Cookie"]
            assert "Secure" in cookie and "HttpOnly" in cookie
        with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
            get(server.url + "signin", ssl.create_default_context())  # an untrusted client
    finally:
        server.close()
        db.close(app)


def test_http_by_default(app):
    server = serve(app)
    try:
        with get(server.url + "signin") as r:
            assert r.status == 200 and "Secure" not in r.headers["Set-Cookie"]
    finally:
        server.close()


def test_a_certificate_without_its_key_is_refused(settings, demo_loaded, certificate, tmp_path):
    cert, _key = certificate
    app = create_app({**settings, "TESTING": True, "TLS_CERT": str(cert)})
    try:
        with pytest.raises(ConfigError, match="同时设置"):
            serving.Server(app, "127.0.0.1", free_port())
        app.config["TLS_KEY"] = str(tmp_path / "missing.pem")
        with pytest.raises(ConfigError, match="找不到 HTTPS 私钥文件"):
            serving.Server(app, "127.0.0.1", free_port())
    finally:
        db.close(app)
