"""excelkort – målstyring for NAV: målekort, tiltaksplan og statusrapport i Excel og PowerPoint.

The command line (``excelkort``) is a thin layer over this package; a statistics officer can
script the same steps in Python.
"""

__version__ = "0.1.0"
