"""The package as a whole: its names, the stub file, the exceptions."""
import ast
import pathlib

import pytest

import fpmatch as fm


def _stub_names():
    stub = pathlib.Path(fm.__file__).with_name("__init__.pyi")
    tree = ast.parse(stub.read_text())
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign):
            names.add(node.target.id)
        elif isinstance(node, ast.ImportFrom):
            names.update(a.asname or a.name for a in node.names)
    return names, tree


def test_every_public_name_is_in_the_stub():
    names, _ = _stub_names()
    assert set(fm.__all__) - names == set()
    assert pathlib.Path(fm.__file__).with_name("py.typed").exists()


def test_stub_methods_exist():
    _, tree = _stub_names()
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            cls = getattr(fm, node.name)
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and not item.name.startswith("__"):
                    assert hasattr(cls, item.name), f"{node.name}.{item.name}"


def test_exception_hierarchy():
    for cls in (fm.DecodeError, fm.InvalidArgument, fm.UnsupportedFormat, fm.IoError, fm.CorruptError,
                fm.Unavailable, fm.OutOfMemory, fm.InternalError):
        assert issubclass(cls, fm.Error)
    assert issubclass(fm.OutOfMemory, MemoryError) and issubclass(fm.IoError, OSError)
    e = fm.OutOfMemory("no room")
    assert e.code == "out of memory" and e.code_value == 15 and str(e) == "no room"


def test_host_memory_exhaustion_is_out_of_memory():
    with pytest.raises(fm.OutOfMemory) as e:
        fm.Gallery().reserve(1 << 60, 1 << 60)
    assert isinstance(e.value, MemoryError) and e.value.code_value == 15
