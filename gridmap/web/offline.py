"""Serve every script, style, font and icon of a Folium page from gridmap's own ``static/vendor/``.

Why: Folium writes ``<script src=...>``/``<link href=...>`` tags pointing at public CDNs
(cdn.jsdelivr.net, cdnjs.cloudflare.com, code.jquery.com, netdna.bootstrapcdn.com; see
folium#1368). Our deployment is an intranet with no internet access at all, and even with
internet jsdelivr is unreachable from many Chinese networks (folium#1593): the map then stays
blank. So every asset is installed from npm (``package.json``), copied into ``static/vendor/``
by ``scripts/vendor-assets.sh``, and :func:`localize` rewrites a map's asset URLs to those copies.

Folium identifies each asset by a NAME (``("leaflet", <a CDN address>)`` pairs in the
``default_js``/``default_css`` of every ``JSCSSMixin`` element); :data:`ASSETS` maps that name to
the file under ``static/``. An external asset whose name is not in the table raises
:class:`ValueError`, so a plugin added without vendoring its files fails loudly in the tests
instead of silently loading from the internet.

branca's colormaps (``ColorMap``/``LinearColormap``/``StepColormap``) have no ``default_js``:
their ``render()`` adds d3 straight to the page header
(``figure.header.add_child(JavascriptLink(".../d3/3.5.5/d3.min.js"), name="d3")``). To catch that
and any other link added while rendering, :func:`localize` also swaps the figure's header for
one that maps its external ``<script>``/``<link>`` children through the same table (or raises)
when the page is rendered.

Usage (Flask)::

    localize(m, lambda p: url_for("static", filename=p))
    html = m.get_root().render()
"""

from __future__ import annotations

from collections.abc import Callable

from branca.element import CssLink, Element, Figure, JavascriptLink

__all__ = ["ASSETS", "localize", "vendor_files"]

# Folium/branca asset name -> file under static/ (None: not needed, the link is dropped).
ASSETS: dict[str, str | None] = {
    # folium.Map
    "leaflet": "vendor/leaflet/leaflet.js",
    "jquery": "vendor/jquery/jquery.min.js",
    "bootstrap": "vendor/bootstrap/js/bootstrap.bundle.min.js",
    "awesome_markers": "vendor/leaflet.awesome-markers/leaflet.awesome-markers.js",
    "leaflet_css": "vendor/leaflet/leaflet.css",
    "bootstrap_css": "vendor/bootstrap/css/bootstrap.min.css",
    "glyphicons_css": None,  # Bootstrap 3 glyphicons: unused, use folium.Icon(prefix="fa")
    "awesome_markers_font_css": "vendor/fontawesome/css/all.min.css",
    "awesome_markers_css": "vendor/leaflet.awesome-markers/leaflet.awesome-markers.css",
    "awesome_rotate_css": "vendor/folium/leaflet.awesome.rotate.min.css",
    # folium.plugins
    "markerclusterjs": "vendor/leaflet.markercluster/leaflet.markercluster.js",
    "markerclustercss": "vendor/leaflet.markercluster/MarkerCluster.css",
    "markerclusterdefaultcss": "vendor/leaflet.markercluster/MarkerCluster.Default.css",
    "leaflet-heat.js": "vendor/folium/leaflet_heat.min.js",
    "leaflet_draw_js": "vendor/leaflet-draw/leaflet.draw.js",
    "leaflet_draw_css": "vendor/leaflet-draw/leaflet.draw.css",
    "Control.Fullscreen.js": "vendor/leaflet.fullscreen/Control.FullScreen.js",
    "Control.FullScreen.css": "vendor/leaflet.fullscreen/Control.FullScreen.css",
    "Control_locate_min_js": "vendor/leaflet.locatecontrol/L.Control.Locate.min.js",
    "Control_locate_min_css": "vendor/leaflet.locatecontrol/L.Control.Locate.min.css",
    # branca.colormap legends (d3 v3 API: d3.scale.threshold, d3.svg.axis)
    "d3": "vendor/d3/d3.min.js",
}

StaticUrl = Callable[[str], str]


def vendor_files() -> list[str]:
    """Every file under ``static/`` that :data:`ASSETS` refers to."""
    return sorted({path for path in ASSETS.values() if path is not None})


def _is_external(url: str) -> bool:
    return url.strip().lower().startswith(("http://", "https://", "//"))


def _local(name: str, url: str, static_url: StaticUrl, where: str) -> str | None:
    """Local URL for asset ``name`` (None: drop it); local URLs are kept as they are."""
    if not _is_external(url):
        return url
    if name not in ASSETS:
        raise ValueError(
            f"{where} loads asset {name!r} from {url}: no local copy (缺少本地资源). "
            "Add the package to package.json, copy its files in scripts/vendor-assets.sh "
            "and map the name in gridmap.web.offline.ASSETS."
        )
    path = ASSETS[name]
    return None if path is None else static_url(path)


class _OfflineHeader(Element):
    """Page header that maps external links added while rendering (branca's d3) to local copies."""

    _static_url: StaticUrl

    def render(self, **kwargs) -> str:
        for name, child in list(self._children.items()):
            if isinstance(child, JavascriptLink | CssLink):
                url = _local(name, child.url, self._static_url, f"<head> link {name!r}")
                if url is None:
                    del self._children[name]
                elif url != child.url:
                    link = type(child)(url)
                    link._parent = self
                    self._children[name] = link
        return super().render(**kwargs)


def _walk(element: Element):
    yield element
    children = list(element._children.values())
    if isinstance(element, Figure):  # not in Figure._children
        children += [element.header, element.html, element.script]
    for child in children:
        yield from _walk(child)


def localize(element: Element, static_url: StaticUrl) -> Element:
    """Point every asset of ``element``'s page at its copy under ``static/``.

    ``static_url(path)`` gives the URL of a file under ``static/``. Instance-level
    ``default_js``/``default_css`` lists are set (the class-level lists are shared and left
    alone). Call it right before rendering; it is idempotent. Returns ``element``.
    Raises ValueError, naming the element and URL, for an external asset with no local copy.
    """
    root = element.get_root()
    for el in _walk(root):
        for attr in ("default_js", "default_css"):
            links = getattr(el, attr, None)
            if links is None:
                continue
            where = f"{type(el).__name__} {el.get_name()!r}"
            localized = []
            for name, url in links:
                local = _local(name, url, static_url, where)
                if local is not None:
                    localized.append((name, local))
            setattr(el, attr, localized)
    if isinstance(root, Figure):
        header = root.header
        if not isinstance(header, _OfflineHeader):
            new = _OfflineHeader()
            new.__dict__.update(header.__dict__)
            for child in new._children.values():
                child._parent = new
            root.header = header = new
        header._static_url = static_url
    return element
