"""Build hook for the one compiled module; every piece of metadata is in ``pyproject.toml``.

``drivers.codecs._lineplate_c`` decodes small reads of the line-plate codec in C (issue 18
§3, ``drivers/codecs/lineplate_fast.py``). It is optional: where no C compiler is found,
setuptools warns that building it failed and installs the package without it, and the
codec uses its plain-Python version, which decides alike (only slower). So
``python3 -m pip install .`` keeps working on a machine with nothing but Python.
"""

from __future__ import annotations

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


class BuildExt(build_ext):
    """``build_ext`` that keeps the C code's floating point identical to Python's."""

    def build_extensions(self) -> None:
        # The module repeats the Python path's double operations bit for bit; GCC would
        # otherwise fuse a*b + c into one rounding where the CPU has FMA (ARM64, or an
        # -march with FMA). MSVC does not contract unless asked to (/fp:contract).
        if self.compiler.compiler_type != "msvc":
            for extension in self.extensions:
                extension.extra_compile_args = [
                    *extension.extra_compile_args,
                    "-ffp-contract=off",
                ]
        super().build_extensions()


setup(
    ext_modules=[
        Extension(
            "drivers.codecs._lineplate_c",
            ["drivers/codecs/_lineplate_c.c"],
            optional=True,  # no compiler: the pure-Python small-batch path
        )
    ],
    cmdclass={"build_ext": BuildExt},
)
