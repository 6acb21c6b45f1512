"""NGSI-LD (ETSI GS CIM 009) subset: a context broker face for Cityline's series and observations.

:mod:`.domain` (plain Python: entities, readings, the query language, errors), :mod:`.broker`
(what is stored: latest state, series, readings), :mod:`.views` and :mod:`.urls` (HTTP),
``context/`` (the core @context, shipped, never fetched). See docs/observations.md, "NGSI-LD".
"""
