import importlib.util
import sys


def load_serving_module(folder):
    """Import the bundle's serving module the way uvicorn would, without writing bytecode."""
    spec = importlib.util.spec_from_file_location(f"serve_{abs(hash(folder))}", folder / "serve.py")
    module = importlib.util.module_from_spec(spec)
    sys.dont_write_bytecode, before = True, sys.dont_write_bytecode
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = before
        sys.modules.pop("modelyard_runtime", None)
        sys.modules.pop("modelyard_serving", None)
    return module
