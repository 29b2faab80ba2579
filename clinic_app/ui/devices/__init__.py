"""Device strip, Devices dialog, connection, calibration wizard."""
