"""Records, views and their minutiae arrays."""
import math
import pathlib

import numpy as np
import pytest

import fpmatch as fm


def sample_view(seed=3, finger=2):
    return fm.SyntheticFingers(seed=seed).impression(7, finger, 1)


def test_decode_path_bytes_and_buffers_agree(db1):
    path = db1[0]
    raw = pathlib.Path(path).read_bytes()
    for source in (path, pathlib.Path(path), raw, bytearray(raw), memoryview(raw)):
        rec = fm.decode(source)
        assert rec.format == "iso2005"
        assert len(rec) == len(rec.views) == 1
        assert rec.views[0] == fm.decode(path).views[0]
    rec = fm.decode(raw, format="iso2005", strict=True)
    assert ("record_length", str(len(raw))) in rec.header
    assert fm.detect_format(raw) == "iso2005"
    assert fm.format_title("iso2005") == "ISO/IEC 19794-2:2005"


def test_decode_rescale_stretches_the_geometry(db1):
    plain = fm.decode(db1[0]).views[0]
    rec = fm.decode(db1[0], rescale=(1.25, 0.8))
    v = rec.views[0]
    assert v.width == round(plain.width * 1.25) and v.height == round(plain.height * 0.8)
    a, b = plain.minutiae, v.minutiae
    assert np.allclose(b["x"], a["x"] * 1.25, atol=1e-3) and np.allclose(b["y"], a["y"] * 0.8, atol=1e-3)
    turned = np.mod(np.arctan2(0.8 * np.sin(a["angle"].astype(float)), 1.25 * np.cos(a["angle"].astype(float))), 2 * math.pi)
    d = np.abs(np.remainder(b["angle"] - turned + math.pi, 2 * math.pi) - math.pi)
    assert d.max() < 1e-5
    assert fm.decode(db1[0], rescale=(1, 1)).views[0] == plain
    with pytest.raises(fm.InvalidArgument):
        fm.decode(db1[0], rescale=(5, 1))


def test_minutiae_array_in_canonical_frame(db1):
    v = fm.decode(db1[0]).views[0]
    m = v.minutiae
    assert m.dtype == fm.MINUTIA_DTYPE
    assert m.shape == (len(v),)
    assert np.all((m["angle"] >= 0) & (m["angle"] < 2 * math.pi))
    assert np.all((m["x"] >= 0) & (m["x"] < v.width) & (m["y"] >= 0) & (m["y"] < v.height))
    assert set(np.unique(m["type"])) <= {fm.OTHER, fm.RIDGE_ENDING, fm.BIFURCATION}
    m["x"] = 0  # a copy: the view is immutable
    assert v.minutiae["x"].max() > 0
    assert v.source_ppcm == (197, 197) and v.position == 0 and v.view_number == 0
    assert "minutiae" in repr(v)


def test_view_from_arrays_round_trips():
    v = sample_view()
    m = v.minutiae
    again = fm.view(m, width=v.width, height=v.height, position=v.position, view_number=v.view_number,
                    impression=v.impression, finger_quality=v.finger_quality)
    assert again == v
    plain = np.stack([m["x"], m["y"], m["angle"], m["type"], m["quality"]], axis=1).astype(np.float64)
    assert fm.view(plain, width=v.width, height=v.height, position=v.position, view_number=v.view_number,
                   impression=v.impression, finger_quality=v.finger_quality) == v
    three = fm.view(plain[:, :3])
    assert np.all(three.minutiae["type"] == 0) and np.all(three.minutiae["quality"] == 0)
    assert len(fm.view(np.zeros((0, 3)))) == 0
    assert len(fm.View()) == 0


@pytest.mark.parametrize("bad, what", [
    (np.array([[-1.0, 5, 0]]), "coordinate"),
    (np.array([[1.0, 5, np.nan]]), "finite"),
    (np.array([[1.0, 2.0]]), "shape"),
    (np.array([[1.0, 5, 0, 9]]), "type"),
    (np.array([[1.0, 5, 0, 1, 300]]), "quality"),
])
def test_view_refuses_invalid_minutiae(bad, what):
    with pytest.raises(fm.InvalidArgument) as e:
        fm.view(bad)
    assert isinstance(e.value, ValueError) and e.value.code == "invalid argument" and e.value.code_value == 1


def test_view_refuses_invalid_info():
    m = sample_view().minutiae
    with pytest.raises(fm.InvalidArgument):
        fm.view(m, position=11)
    with pytest.raises(fm.InvalidArgument):
        fm.view(m, width=70000)
    with pytest.raises(fm.InvalidArgument):
        fm.view(np.zeros(3, dtype=[("x", "f4"), ("y", "f4")]))


@pytest.mark.parametrize("fmt", ["iso2005", "ansi2004", "xyt"])
def test_encode_decode_round_trip(fmt):
    v = sample_view()
    raw = fm.encode(v, fmt)
    assert isinstance(raw, bytes)
    back = fm.decode(raw, format=fmt, xyt_image_height=v.height).views[0]
    a, b = v.minutiae, back.minutiae
    assert len(a) == len(b)
    # The formats store whole pixels and quantised angles.
    assert np.allclose(a["x"], b["x"], atol=1) and np.allclose(a["y"], b["y"], atol=1)
    d = np.abs(np.angle(np.exp(1j * (a["angle"] - b["angle"]))))
    assert d.max() < 2 * math.pi / 180 * 2
    assert fm.encode(back, fmt) == raw  # stable once quantised


def test_encode_several_views_and_options():
    v1, v2 = sample_view(finger=2), sample_view(finger=3)
    rec = fm.decode(fm.encode([v1, v2], "iso2005", capture_equipment_id=17))
    assert len(rec.views) == 2
    assert ("capture_equipment_id", "0x0011") in rec.header
    m1 = fm.encode(v1, "xyt", xyt_convention="m1")
    assert fm.decode(m1, format="xyt", xyt_convention="m1").views[0].minutiae.shape == v1.minutiae.shape


def test_encode_errors():
    v = sample_view()
    with pytest.raises(fm.UnsupportedFormat, match="not encoded") as e:
        fm.encode(v, "iso2011")  # decoded, never written
    assert e.value.code_value == 4
    with pytest.raises(fm.InvalidArgument):
        fm.encode(v, "no-such-format")
    with pytest.raises(fm.InvalidArgument):
        fm.encode(v, "xyt", xyt_convention="upside-down")
    with pytest.raises(fm.InvalidArgument):
        fm.encode(v, "iso2005", capture_equipment_id=5000)
    with pytest.raises(TypeError):
        fm.encode([v, "not a view"], "iso2005")
    big = fm.view(np.tile([[10.0, 10.0, 0.5]], (300, 1)))
    with pytest.raises(fm.InvalidArgument):
        fm.encode(big, "iso2005")  # more than 255 minutiae


def test_decode_errors_carry_field_and_offset(db1, tmp_path):
    raw = pathlib.Path(db1[0]).read_bytes()
    with pytest.raises(fm.DecodeError) as e:
        fm.decode(raw[:20])
    err = e.value
    assert err.code == "truncated record" and err.code_value == 5
    assert err.field == "record_length" and err.offset == 8 and err.format.startswith("ISO")
    assert err.detail and err.detail in str(err) and isinstance(err, ValueError) and isinstance(err, fm.Error)
    with pytest.raises(fm.DecodeError) as e:
        fm.decode(b"\x00" * 40)
    assert e.value.code == "unknown format"
    with pytest.raises(fm.DecodeError) as e:
        fm.decode(b"10 20 30 40\n11 21 x 41\n", format="xyt")
    assert e.value.line == 2 and e.value.code == "syntax error"
    # Strict mode refuses what lenient mode decodes with a warning.
    lenient = fm.decode(raw + b"\x00\x00", format="iso2005")
    assert lenient.warnings
    with pytest.raises(fm.DecodeError):
        fm.decode(raw + b"\x00\x00", format="iso2005", strict=True)
    with pytest.raises(fm.IoError) as e:
        fm.decode(tmp_path / "missing.ist")
    assert isinstance(e.value, OSError) and e.value.code_value == 2
    with pytest.raises(fm.InvalidArgument):
        fm.decode(raw, format="bogus")
    with pytest.raises(TypeError):
        fm.decode(12)


def test_synthetic_fingers_are_deterministic():
    a, b = fm.SyntheticFingers(seed=5), fm.SyntheticFingers(seed=5)
    assert a.impression(1, 3, 2) == b.impression(1, 3, 2)
    assert a.impression(1, 3, 2) != a.impression(1, 3, 3)
    assert len(a.master(1, 3)) > 0
