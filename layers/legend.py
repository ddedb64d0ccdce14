"""A legend for a coloured layer: a small Leaflet control listing colours and their meaning.

A tap on a legend folds it to its title and back; on a phone's narrow map legends start
folded, so that they do not cover the map they explain.
"""

from __future__ import annotations

from branca.element import MacroElement
from jinja2 import Template

from layers.common import esc


class Legend(MacroElement):
    _template = Template("""
        {% macro script(this, kwargs) %}
        (function () {
            var legend = L.control({position: 'bottomright'});
            legend.onAdd = function () {
                var div = L.DomUtil.create('div', 'gm-legend');
                div.innerHTML = {{ this.html | tojson }};  // escaped in Python (esc)
                L.DomEvent.disableClickPropagation(div);
                div.addEventListener('click', function () { div.classList.toggle('gm-folded'); });
                if (window.matchMedia && window.matchMedia('(max-width: 760px)').matches) {
                    div.classList.add('gm-folded');
                }
                return div;
            };
            var map = {{ this._parent.get_name() }};
            legend.addTo(map);
            {% if this.layer %}
            // Shown only while its layer is on the map.
            var layer = {{ this.layer.get_name() }};
            function sync() {
                legend.getContainer().style.display = map.hasLayer(layer) ? '' : 'none';
            }
            map.on('overlayadd overlayremove', sync);
            sync();
            {% endif %}
        })();
        {% endmacro %}
    """)

    def __init__(self, title: str, items: list[tuple[str, str]], layer=None):
        super().__init__()
        self._name = "Legend"
        self.layer = layer
        rows = "".join(
            f'<div><i style="background:{esc(colour)}"></i>{esc(label)}</div>'
            for colour, label in items
        )
        self.html = f"<b>{esc(title)}</b>{rows}"
