"""core: what every other part of gridmap stands on, and nothing of the domain's rooms.

Settings (``config``), Beijing time and the one "now" (``clock``), the error hierarchy
(``errors``), reading values on the way in (``params``, ``timewindow``, ``coords``: one parser per
kind of value, with messages for a person; ``identity_numbers``: ID numbers and phones of
parties) and integer codes for a frame's rows (``rowcodes``).

May import: nothing of gridmap.
"""
