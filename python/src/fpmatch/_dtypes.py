"""The numpy layout of minutiae."""
import numpy as np

# One minutia in fpmatch's canonical frame (500 ppi, origin top-left, y
# downwards): x and y in pixels, angle in radians [0, 2*pi) counter-clockwise
# along the ridge (ISO/ANSI convention), type 0 other / 1 ridge ending /
# 2 bifurcation, quality 0-100 as recorded (ISO 2011: 254, 255). Packed, so
# that its bytes are those the extension writes.
MINUTIA_DTYPE = np.dtype([("x", "<f4"), ("y", "<f4"), ("angle", "<f4"), ("type", "u1"), ("quality", "u1")])
