"""Pure protocol codecs: bytes in, frames/samples and counters out, no I/O.

* :mod:`drivers.codecs.witmotion` - WitMotion WIT-standard 0x55 frames.
* :mod:`drivers.codecs.rion` - Rion-family 0x68 BCD inclinometers.
* :mod:`drivers.codecs.lineplate` - the DorsiLab ``$FP`` line protocol (drivers/PROTOCOL.md).
"""
