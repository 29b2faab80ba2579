"""Device I/O for DorsiLab: transports, codecs, devices, simulators and pty emulators.

This package depends only on the standard library, numpy and pyserial; it imports
nothing from ``clinic_app``.
"""
