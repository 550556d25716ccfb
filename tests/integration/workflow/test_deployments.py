"""Deploying BPMN files: full validation, versions per process id, checksums, listing and sources."""

from __future__ import annotations

import pytest
from workflow_models import discount_rules, priced_order, quality_check, two_steps

from conveyor.adapters.workflow.definitions import DefinitionStore
from conveyor.engine.errors import ModelError
from conveyor.services.workflow import Workflow, queries


def test_deploying_a_file_stores_version_one_of_each_process(workflow: Workflow) -> None:
    deployed = workflow.deploy(quality_check(), file_name="qc.bpmn")
    assert [(d.definition.key, d.definition.version, d.created) for d in deployed] == [
        ("qc_process", 1, True)
    ]


def test_redeploying_an_unchanged_file_creates_no_new_version(workflow: Workflow) -> None:
    workflow.deploy(quality_check(), file_name="qc.bpmn")
    again = workflow.deploy(quality_check(), file_name="qc.bpmn")
    assert [(d.definition.version, d.created) for d in again] == [(1, False)]


def test_deploying_a_changed_file_creates_the_next_version(workflow: Workflow) -> None:
    workflow.deploy(quality_check(), file_name="qc.bpmn")
    changed = workflow.deploy(quality_check(name="Check quality"), file_name="qc.bpmn")
    assert [d.definition.version for d in changed] == [2]


def test_an_invalid_model_is_refused_with_every_problem_and_nothing_is_stored(workflow: Workflow) -> None:
    broken = two_steps().replace('targetRef="ship"', 'targetRef="nowhere"').replace(
        'targetRef="end"', 'targetRef="nothing"'
    )
    with pytest.raises(ModelError) as raised:
        workflow.deploy(broken, file_name="broken.bpmn")
    assert len(raised.value.problems) >= 2
    with workflow.session_factory() as session:
        assert DefinitionStore(session).all() == []


def test_a_deployed_version_keeps_its_source(workflow: Workflow) -> None:
    workflow.deploy(quality_check(), file_name="qc.bpmn")
    workflow.deploy(quality_check(name="Check quality"), file_name="qc.bpmn")
    with workflow.session_factory() as session:
        first = DefinitionStore(session).get("qc_process", 1)
        latest = DefinitionStore(session).get("qc_process")
    assert first is not None and 'name="Quality check"' in (first.source or "")
    assert latest is not None and latest.version == 2 and 'name="Check quality"' in (latest.source or "")


def test_a_deployed_decision_is_used_by_business_rule_tasks_at_its_latest_version(workflow: Workflow) -> None:
    workflow.deploy(discount_rules("0.1"), file_name="discount.dmn")
    workflow.deploy(priced_order(), file_name="priced.bpmn")
    first = workflow.start("priced", {"total": 150})
    redeployed = workflow.deploy(discount_rules("0.2"), file_name="discount.dmn")
    assert [(d.definition.key, d.definition.kind, d.definition.version) for d in redeployed] == [
        ("discount", "dmn", 2)
    ]
    second = workflow.start("priced", {"total": 150})
    with workflow.session_factory() as session:
        assert queries.instance_detail(session, first.id)["variables"]["discount"] == "0.1"
        assert queries.instance_detail(session, second.id)["variables"]["discount"] == "0.2"
