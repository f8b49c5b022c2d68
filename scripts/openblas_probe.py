"""Which OpenBLAS this Python process loaded, and the kernel it picked: used by blas_numpy.py and baselines.py."""
import ctypes
import os


def openblas():
    """(version, kernel) of the OpenBLAS mapped into this process (scipy-openblas exports prefixed names)."""
    for line in open("/proc/self/maps"):
        path = line.split()[-1]
        if "openblas" in os.path.basename(path) and ".so" in path:
            lib = ctypes.CDLL(path)
            for prefix in ("scipy_openblas_", "openblas_"):
                for suffix in ("64_", ""):
                    try:
                        config = getattr(lib, prefix + "get_config" + suffix)
                        core = getattr(lib, prefix + "get_corename" + suffix)
                    except AttributeError:
                        continue
                    config.restype = core.restype = ctypes.c_char_p
                    return config().decode().split()[1], core().decode()
    return "-", "-"
