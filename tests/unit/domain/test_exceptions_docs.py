"""docs/exceptions.md: its configuration example is valid and its classifier outputs are real."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from conveyor.domain.exceptions import read_exception_settings
from conveyor.services.configuration import default_configuration

DOC = Path(__file__).resolve().parents[3] / "docs" / "exceptions.md"


def test_the_documented_configuration_is_valid() -> None:
    (block,) = re.findall(r"```yaml\n(exceptions:.*?)```", DOC.read_text(), re.S)
    settings = read_exception_settings(yaml.safe_load(block)["exceptions"])
    assert settings.types["pick.short"].category == "stock_accuracy"
    assert settings.return_reasons["damaged"] == "product_quality"


def test_the_documented_classifications_are_what_the_default_classifier_says() -> None:
    classifier = read_exception_settings(default_configuration()["exceptions"]).classifier()
    examples = re.findall(r'\$ conveyor exceptions classify "([^"]+)"\n(\S+) (\S+) (\S+)', DOC.read_text())
    assert len(examples) == 2
    for text, category, confidence, method in examples:
        result = classifier.classify(text)
        assert result is not None
        assert (result.category, f"{result.confidence:.2f}", result.method) == (category, confidence, method)
