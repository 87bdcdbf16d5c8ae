"""Devices and channels both apps use: camera frames, the decode cascade, the camera scanner, the
USB keyboard-wedge scanner, the receipt printer, e-mail and SMS. They know nothing of the store."""
