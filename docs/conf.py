"""Sphinx configuration of fastinit's documentation.

Build (offline, warnings are errors, as CI does):
``python -m sphinx -W --keep-going -b html docs docs/_build/html``.
"""

import os
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # document the checkout this file belongs to
# fastinit.keras imports keras, which needs a backend before its import
os.environ.setdefault("KERAS_BACKEND", "numpy")

import fastinit  # noqa: E402

project = "fastinit"
author = "fastinit contributors"
copyright = "fastinit contributors, BSD-3-Clause"  # noqa: A001 - Sphinx's name
release = fastinit.__version__
version = release

extensions = [
    "myst_parser",
    "numpydoc",
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build"]
nitpicky = False

# MyST: anchors for headings up to level 3, so pages can link to sections
myst_heading_anchors = 3

# autodoc + numpydoc: public names only (each module's __all__), in source order
autodoc_default_options = {"members": True, "member-order": "bysource"}
autodoc_typehints = "none"  # the numpydoc Parameters sections carry the types
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

html_theme = "pydata_sphinx_theme"
html_title = f"fastinit {release}"
html_static_path = []
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}
html_show_sourcelink = False
