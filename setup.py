"""The one thing pyproject.toml cannot say: the classifier's C kernel (``_kernel.c``,
``_literals.c``, ``_language.c``, ``_text.c``).

It is optional: where no C compiler is at hand the build goes on without it, and the
classifier runs its Python reference of the same computation, slower
(``newswatch.classifier.model``). ``make install`` builds it with the rest.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "newswatch.classifier._kernel",
            [
                "services/classifier/_kernel.c",
                "services/classifier/_literals.c",
                "services/classifier/_language.c",
                "services/classifier/_text.c",
            ],
            depends=["services/classifier/_kernel.h"],
            extra_compile_args=["-O2"],
            optional=True,
        )
    ]
)
