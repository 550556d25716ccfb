"""parse_dmn reads DMN 1.1-1.5 files and refuses bad ones with every problem at once."""

from __future__ import annotations

import pytest

from conveyor.engine.dmn import DecisionTable, HitPolicy, LiteralExpression, parse_dmn
from conveyor.engine.errors import ModelError

NAMESPACES = {
    "1.1": "http://www.omg.org/spec/DMN/20151101/dmn.xsd",
    "1.2": "http://www.omg.org/spec/DMN/20180521/MODEL/",
    "1.3": "https://www.omg.org/spec/DMN/20191111/MODEL/",
    "1.4": "https://www.omg.org/spec/DMN/20211108/MODEL/",
    "1.5": "https://www.omg.org/spec/DMN/20230324/MODEL/",
}


def dmn(body: str, version: str = "1.3") -> str:
    return (
        f'<definitions xmlns="{NAMESPACES[version]}" xmlns:camunda="http://camunda.org/schema/1.0/dmn"'
        f' id="defs" name="Rules" namespace="http://example.com">\n{body}\n</definitions>'
    )


DISCOUNT = """
  <decision id="discount" name="Discount">
    <variable name="Discount" typeRef="number"/>
    <decisionTable id="t" hitPolicy="FIRST">
      <input id="i1" label="Customer">
        <inputExpression typeRef="string"><text>customer</text></inputExpression>
        <inputValues><text>"gold","silver","bronze"</text></inputValues></input>
      <input id="i2" label="Total"><inputExpression><text>total</text></inputExpression></input>
      <output id="o1" name="discount" typeRef="number"/>
      <rule id="r1">
        <description>Best customers</description>
        <inputEntry><text>"gold"</text></inputEntry><inputEntry><text>&gt;= 100</text></inputEntry>
        <outputEntry><text>0.15</text></outputEntry>
        <annotationEntry><text>since 2024</text></annotationEntry>
      </rule>
      <rule id="r2">
        <inputEntry><text>-</text></inputEntry><inputEntry><text></text></inputEntry>
        <outputEntry><text>0</text></outputEntry>
      </rule>
    </decisionTable>
  </decision>
"""


@pytest.mark.parametrize("version", list(NAMESPACES))
def test_reads_decision_tables_in_every_dmn_version(version):
    definitions = parse_dmn(dmn(DISCOUNT, version), file="discount.dmn")
    assert definitions.dmn_version == version
    decision = definitions.decisions["discount"]
    assert decision.name == "Discount"
    assert decision.type_ref == "number"
    table = decision.logic
    assert isinstance(table, DecisionTable)
    assert table.hit_policy is HitPolicy.FIRST
    assert [clause.label for clause in table.inputs] == ["Customer", "Total"]
    assert [output.name for output in table.outputs] == ["discount"]
    assert [rule.id for rule in table.rules] == ["r1", "r2"]
    assert table.rules[0].annotations == ("since 2024",)
    assert table.rules[0].description == "Best customers"
    assert table.rules[0].line is not None


def test_reads_a_literal_expression_decision():
    body = """
  <decision id="vat" name="VAT"><variable name="VAT" typeRef="number"/>
    <literalExpression><text>net * 0.2</text></literalExpression></decision>"""
    decision = parse_dmn(dmn(body)).decisions["vat"]
    assert isinstance(decision.logic, LiteralExpression)
    assert decision.logic.expression.source == "net * 0.2"


def test_reads_requirements_between_decisions_and_input_data():
    body = """
  <inputData id="in_total" name="Order total"/>
  <decision id="a" name="A">
    <informationRequirement><requiredDecision href="#b"/></informationRequirement>
    <informationRequirement><requiredInput href="#in_total"/></informationRequirement>
    <informationRequirement><requiredDecision href="#b"/></informationRequirement>
    <literalExpression><text>B + 1</text></literalExpression></decision>
  <decision id="b" name="B"><literalExpression><text>1</text></literalExpression></decision>"""
    definitions = parse_dmn(dmn(body))
    assert definitions.decisions["a"].required_decisions == ("b",)
    assert definitions.decisions["a"].required_inputs == ("Order total",)
    assert definitions.find("B") is definitions.decisions["b"]


def test_every_problem_is_reported_at_once_with_lines_and_hints():
    body = """
  <decision id="broken" name="Broken">
    <informationRequirement><requiredDecision href="#nowhere"/></informationRequirement>
    <decisionTable id="t" hitPolicy="SOMETIMES">
      <input id="i1" label="Age"><inputExpression><text>age</text></inputExpression></input>
      <output id="o1" name="x"/>
      <rule id="r1">
        <inputEntry><text>&gt;&gt; 18</text></inputEntry>
        <outputEntry><text>"adult</text></outputEntry>
      </rule>
      <rule id="r2">
        <inputEntry><text>1</text></inputEntry><inputEntry><text>2</text></inputEntry>
        <outputEntry><text>"x"</text></outputEntry>
      </rule>
    </decisionTable>
  </decision>
  <decision id="broken" name="Twin"><literalExpression><text>1</text></literalExpression></decision>"""
    with pytest.raises(ModelError) as caught:
        parse_dmn(dmn(body), file="broken.dmn")
    problems = caught.value.errors
    codes = {problem.code for problem in problems}
    assert {
        "dmn.hit_policy",
        "dmn.unary_tests_syntax",
        "dmn.expression_syntax",
        "dmn.rule_input_count",
        "dmn.unknown_requirement",
        "dmn.duplicate_id",
    } <= codes
    assert all(problem.line is not None and problem.file == "broken.dmn" for problem in problems)
    assert all(problem.hint for problem in problems)
    bad_entry = next(p for p in problems if p.code == "dmn.unary_tests_syntax")
    assert "rule 1, input 1 (Age)" in bad_entry.message
    assert bad_entry.line == 9
    bad_output = next(p for p in problems if p.code == "dmn.expression_syntax")
    assert "rule 1, output 1 (x)" in bad_output.message
    assert "Broken" in str(caught.value)


@pytest.mark.parametrize(
    ("logic", "what"),
    [
        ("<context id='c1'><contextEntry><literalExpression><text>1</text></literalExpression>"
         "</contextEntry></context>", "boxed contexts"),
        ("<invocation id='inv1'/>", "invocations"),
        ("<relation id='rel1'/>", "relations"),
    ],
)
def test_boxed_expressions_are_refused_with_their_id_and_line(logic, what):
    body = f'<decision id="d" name="D">\n    {logic}\n  </decision>'
    with pytest.raises(ModelError) as caught:
        parse_dmn(dmn(body))
    problem = caught.value.errors[0]
    assert problem.code == "dmn.unsupported"
    assert what in problem.message
    assert problem.line == 3
    assert problem.element_id is not None


def test_business_knowledge_models_are_refused():
    body = '<businessKnowledgeModel id="bkm1" name="Rate"/>'
    with pytest.raises(ModelError, match="business knowledge models are not supported") as caught:
        parse_dmn(dmn(body))
    assert caught.value.errors[0].element_id == "bkm1"


def test_cycles_between_decisions_are_refused():
    body = """
  <decision id="a" name="A"><informationRequirement><requiredDecision href="#b"/></informationRequirement>
    <literalExpression><text>B</text></literalExpression></decision>
  <decision id="b" name="B"><informationRequirement><requiredDecision href="#a"/></informationRequirement>
    <literalExpression><text>A</text></literalExpression></decision>"""
    with pytest.raises(ModelError, match="cycle: a -> b -> a"):
        parse_dmn(dmn(body))


def test_aggregation_needs_collect_and_a_single_output():
    body = """
  <decision id="d" name="D"><decisionTable hitPolicy="FIRST" aggregation="SUM">
    <input><inputExpression><text>x</text></inputExpression></input>
    <output name="a"/><output name="b"/>
  </decisionTable></decision>"""
    with pytest.raises(ModelError) as caught:
        parse_dmn(dmn(body))
    assert "dmn.aggregation_needs_collect" in {p.code for p in caught.value.errors}


def test_priority_without_output_values_is_refused():
    body = """
  <decision id="d" name="D"><decisionTable hitPolicy="PRIORITY">
    <input><inputExpression><text>x</text></inputExpression></input>
    <output name="a"/>
    <rule><inputEntry><text>-</text></inputEntry><outputEntry><text>1</text></outputEntry></rule>
  </decisionTable></decision>"""
    with pytest.raises(ModelError, match="output values"):
        parse_dmn(dmn(body))


def test_several_outputs_need_names():
    body = """
  <decision id="d" name="D"><decisionTable>
    <input><inputExpression><text>x</text></inputExpression></input>
    <output id="o1"/><output id="o2" name="b"/>
  </decisionTable></decision>"""
    with pytest.raises(ModelError) as caught:
        parse_dmn(dmn(body))
    assert caught.value.errors[0].code == "dmn.output_name_missing"
    assert caught.value.errors[0].element_id == "o1"


def test_unsupported_expression_language_is_refused():
    body = """
  <decision id="d" name="D"><literalExpression expressionLanguage="javascript">
    <text>1 + 1</text></literalExpression></decision>"""
    with pytest.raises(ModelError, match="'javascript' is not supported"):
        parse_dmn(dmn(body))


def test_unknown_type_is_a_warning_not_an_error():
    body = """
  <decision id="d" name="D"><variable name="D" typeRef="com.example.Money"/>
    <literalExpression><text>1</text></literalExpression></decision>"""
    definitions = parse_dmn(dmn(body))
    assert [w.code for w in definitions.warnings] == ["dmn.unknown_type"]


def test_imports_are_a_warning_and_a_requirement_into_them_an_error():
    body = """
  <import namespace="urn:other" locationURI="other.dmn" importType="https://www.omg.org/spec/DMN/20191111/MODEL/"/>
  <decision id="d" name="D">
    <informationRequirement><requiredDecision href="urn:other#elsewhere"/></informationRequirement>
    <literalExpression><text>1</text></literalExpression></decision>"""
    with pytest.raises(ModelError) as caught:
        parse_dmn(dmn(body))
    codes = [(p.severity, p.code) for p in caught.value.problems]
    assert ("warning", "dmn.import_ignored") in codes
    assert ("error", "dmn.unknown_requirement") in codes


def test_check_dmn_lists_problems_without_raising():
    from conveyor.engine.dmn import check_dmn

    broken = dmn("""
  <decision id="d" name="D"><literalExpression><text>1 +</text></literalExpression></decision>""")
    assert [p.code for p in check_dmn(broken)] == ["dmn.expression_syntax"]
    assert check_dmn(dmn(DISCOUNT)) == []
