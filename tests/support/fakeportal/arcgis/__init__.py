"""The fake ArcGIS portal: a Hub site (OGC API Records search) and the City's MapServer layers.

Mounted by :func:`tests.support.fakeportal.start_server` as::

    {url}/hub                                                     Hub site (portal string arcgis:{url}/hub)
    {url}/hub/api/search/v1[/conformance|/collections[/{c}[/items[/{id}]|/aggregations]]]
    {url}/hub/api/search/definition                               OpenAPI stub
    {url}/arcgis/rest/services[/COP_OpenData_<Theme>/MapServer[/<layerId>[/query]]]

It follows the shapes in /work/shared/portals.md. Choices where the real servers are unknown or vary:

* Hub: unknown query parameters (``startIndex``, ``offset``...) get a 400, so a client that misspells one fails
  loudly. Errors are JSON ``{"statusCode": 400, "error": "Bad Request", "message": ...}``. Default ``limit`` 10.
* REST: errors come with HTTP 200 and ``{"error": {...}}``. Without ``f`` (or with ``f=html``) the answer is an
  HTML page, as on real servers. Without ``outFields`` only OBJECTID comes back. Without ``outSR`` geometry is in
  Web Mercator (wkid 102100); ``outSR=4326`` gives lon/lat; ``f=geojson`` is always lon/lat. A missing ``where``
  is an error. ``=``/``LIKE`` are case-sensitive. The ``geometry``, ``having``, ``time`` and ``text``
  parameters are refused rather than silently ignored.

The package: ``app`` (ArcGISApp: switches, answer cache, routing), ``hub`` (the Hub half), ``rest`` (the REST half),
``common`` (answer helpers, constants, errors).
"""

from __future__ import annotations

from .app import ArcGISApp

__all__ = ["ArcGISApp"]
