"""Pure protocol codecs: bytes in, frames/samples and counters out, no I/O.

Every codec is a class with ``feed(data: bytes, t_host_s: float = nan) -> batch`` that
accepts any amount of bytes (half a frame, many frames, noise), keeps an incomplete frame
for the next call (``buffered`` bytes, bounded), never raises on bad input, and counts what
it saw. Resynchronisation after corruption follows the byte-by-byte rule of devices.md §1.5
(drop ONE byte), computed with numpy; the tests prove equality with a literal byte-by-byte
implementation. ``reset()`` drops the partial frame and the plausibility history. The two
streaming codecs also have a small-batch path in plain Python for the few frames or lines a
reader gets per call (:mod:`.witmotion_fast`, :mod:`.lineplate_fast`), tested equal to the
numpy path.

=================================  ==============================  ============================
module                             codec → batch                   encoders (module functions)
=================================  ==============================  ============================
:mod:`~drivers.codecs.witmotion`   ``WitMotionCodec`` →            ``cmd_*`` (unlock, save,
                                   ``WitBatch(samples, types,      rate, content, baud, zero,
                                   words)`` + ``.frames``,         read registers…),
                                   ``.acc``, ``.gyro``, ``.angle``, ``encode_acc/gyro/angle/
                                   ``.registers``                  mag/quaternion/readback/
                                                                   time``, ``encode_frames``;
                                                                   ``decode_frames``,
                                                                   ``WitCommandParser``
:mod:`~drivers.codecs.rion`        ``RionCodec`` →                 ``req_*`` (read angles, zero,
                                   ``RionBatch(samples, frames,    output mode, baud…),
                                   values)``                       ``encode_angle_replies``,
                                                                   ``encode_reply``,
                                                                   ``encode_bcd/decode_bcd``;
                                                                   ``decode_frames``
:mod:`~drivers.codecs.lineplate`   ``LinePlateCodec`` →            ``encode_fp/_fp_lines/info/
                                   ``LineBatch(samples,            err/ok/line``, ``cmd_query/
                                   messages)``; samples in         tare/rate/stop/go``,
                                   ``LINE_SAMPLE_DTYPE``           ``HostCommandParser``
:mod:`~drivers.codecs.witmotion_   ``WitBleCodec`` (one BLE        ``encode_data``,
ble`                               notification per call) →        ``encode_registers``,
                                   ``BleBatch(samples,             ``product_for``
                                   registers)``
=================================  ==============================  ============================

Counters on every codec: ``frames`` (``lines`` for the line protocol), ``dropped_bytes``,
``checksum_failures``, ``implausible``; plus ``unconfirmed`` (binary codecs: frames withheld
while a plausibility track locks), ``malformed``, ``seq_gaps``, ``seq_resets`` (line
protocol). Inclinometer samples use :data:`drivers.base.INCLINOMETER_DTYPE`.
"""
