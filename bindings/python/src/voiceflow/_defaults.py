"""Where ``voiceflow.Model()`` finds the default models when it is given no paths.

The wheel carries the default pair in ``voiceflow/_models/`` (setup.py copies them there,
with their licence notices), so a pip-installed package diarizes without ``make setup``.
``$VOICEFLOW_HOME/models`` wins when it holds the file, so a set-up folder or an install
tree (``make install INSTALL_RUNTIME=1``) keeps working as before.

Plain standard library, no package imports: setup.py loads this file for the names.
"""

from __future__ import annotations

import os
from pathlib import Path

#: DEFAULT_SEGMENTATION_FILE and DEFAULT_EMBEDDING_FILE of src/models/mod.rs.
SEGMENTATION_FILE = "segmentation-3.0.onnx"
EMBEDDING_FILE = "campplus.int8.onnx"
#: The models' licences and attribution, beside them in the wheel.
NOTICES_FILE = "THIRD_PARTY_NOTICES"

#: Absent in a source checkout (PYTHONPATH=bindings/python/src): only the build adds it.
BUNDLED_DIR = Path(__file__).resolve().parent / "_models"


def default_model(name: str) -> Path | None:
    """``$VOICEFLOW_HOME/models/<name>`` when that file exists, else the bundled copy.

    None in a source checkout without ``$VOICEFLOW_HOME/models/<name>``: the library then
    applies its own default (the set-up folder of the tree it was built in) and its error
    says to run ``make setup``. The bundled path is returned even when the file is missing
    from an installed package, so that the caller can say so.
    """
    home = os.environ.get("VOICEFLOW_HOME")
    if home:
        candidate = Path(home, "models", name)
        if candidate.is_file():
            return candidate
    if BUNDLED_DIR.is_dir():
        return BUNDLED_DIR / name
    return None
