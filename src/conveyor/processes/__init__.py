"""The bundled BPMN and DMN models (package data), with diagram information so
they open in Camunda Modeler and render in the UI. ``conveyor init`` deploys them.
"""

from importlib import resources
from pathlib import Path


def bundled_model_paths() -> list[Path]:
    """Every bundled .bpmn and .dmn file, sorted by name."""
    root = resources.files(__name__)
    return sorted(
        Path(str(entry)) for entry in root.iterdir() if entry.name.endswith((".bpmn", ".dmn"))
    )
