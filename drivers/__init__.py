"""Device I/O for DorsiLab: transports, codecs, devices, simulators and pty emulators.

This package depends only on the standard library, numpy, pyserial and (for the Bluetooth
inclinometer, imported only when one is used) bleak; it imports nothing from ``clinic_app``.
"""
