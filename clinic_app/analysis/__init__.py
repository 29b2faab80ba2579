"""Qt-free analysis core: the numbers clinicians trust.

Modules (units are in every name: cm, mm, deg, s, Hz, N):

- :mod:`~clinic_app.analysis.norms` — the one thresholds file ``resources/norms.toml``
  (value, units, source, evidence tag C/S/D/U; [U] entries are editable clinic defaults).
- :mod:`~clinic_app.analysis.cop` — centre of pressure from four load cells, six-component
  and Kistler eight-channel plates, with the minimum-load gate.
- :mod:`~clinic_app.analysis.preprocess` — window-average resampling, zero-lag low-pass,
  trimming, centring, and the :class:`~clinic_app.analysis.preprocess.Processing` record.
- :mod:`~clinic_app.analysis.sway` — the Prieto sway metrics (reproduce the public balance
  data set's published values); :mod:`~clinic_app.analysis.pipeline` runs both.
- :mod:`~clinic_app.analysis.lunge`, :mod:`~clinic_app.analysis.heel_lift` — stable-hold
  capture, heel-lift detection, typed distance and pain checks (offline and incremental).
- :mod:`~clinic_app.analysis.balance` — touchdown / step / foot-shift / stepping-off
  detection, time to failure and balance trial results.
- :mod:`~clinic_app.analysis.session` — the API for reports, plans and history:
  session summaries, limb asymmetry, normative context and change against the MDC, as
  structured :class:`~clinic_app.analysis.verdicts.Verdict` objects.
"""
