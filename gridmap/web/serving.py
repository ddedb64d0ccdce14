"""The production WSGI server: waitress over HTTP, or cheroot over HTTPS with the configured
certificate and key.

A phone's service worker (its offline outbox and cached pages) works only on HTTPS or on
localhost, so on an intranet gridmap serves HTTPS itself when ``TLS_CERT`` and ``TLS_KEY`` name
a certificate and its key (PEM). Waitress, gridmap's HTTP server, does not do TLS; cheroot
(CherryPy's server) does, with Python's ssl module. Over HTTPS the session cookie is marked
Secure.
"""

from __future__ import annotations

import ssl
from pathlib import Path

from gridmap.core.errors import ConfigError

THREADS = 8


class Server:
    def __init__(self, app, host: str, port: int):
        cert, key = app.config.get("TLS_CERT") or "", app.config.get("TLS_KEY") or ""
        if bool(cert) != bool(key):
            raise ConfigError("HTTPS 需要同时设置证书 GRIDMAP_TLS_CERT 和私钥 GRIDMAP_TLS_KEY。")
        self.https = bool(cert)
        if self.https:
            for path, what in ((cert, "证书"), (key, "私钥")):
                if not Path(path).is_file():
                    raise ConfigError(f"找不到 HTTPS {what}文件：{path}")
            from cheroot import wsgi
            from cheroot.ssl.builtin import BuiltinSSLAdapter

            try:
                adapter = BuiltinSSLAdapter(cert, key)
            except (ssl.SSLError, OSError) as exc:
                raise ConfigError(f"HTTPS 证书或私钥无法读取：{exc}") from None
            app.config["SESSION_COOKIE_SECURE"] = True
            self._server = wsgi.Server((host, port), app, numthreads=THREADS)
            self._server.ssl_adapter = adapter
        else:
            import waitress

            self._server = waitress.create_server(app, host=host, port=port, threads=THREADS)
        self.url = f"{'https' if self.https else 'http'}://{host}:{port}/"

    def run(self) -> None:
        if self.https:
            self._server.safe_start()
        else:
            self._server.run()

    def close(self) -> None:
        if self.https:
            self._server.stop()
        else:
            self._server.close()
