"""evaluate_decision on parsed models: DRGs, unary tests, input values, typed results, errors."""

from __future__ import annotations

from decimal import Decimal

import pytest

from conveyor.engine.dmn import evaluate_decision, parse_dmn
from conveyor.engine.errors import DecisionError

DMN13 = "https://www.omg.org/spec/DMN/20191111/MODEL/"


def dmn(body: str) -> str:
    return (
        f'<definitions xmlns="{DMN13}" xmlns:camunda="http://camunda.org/schema/1.0/dmn"'
        f' id="defs" name="Rules" namespace="http://example.com">\n{body}\n</definitions>'
    )


SHIPPING = dmn("""
  <inputData id="in_weight" name="weight"><variable name="weight" typeRef="number"/></inputData>
  <decision id="zone" name="Zone">
    <decisionTable hitPolicy="UNIQUE">
      <input label="Country"><inputExpression typeRef="string"><text>country</text></inputExpression>
        <inputValues><text>"DE","FR","US"</text></inputValues></input>
      <output name="zone" typeRef="string"/>
      <rule id="eu"><inputEntry><text>"DE","FR"</text></inputEntry>
        <outputEntry><text>"EU"</text></outputEntry></rule>
      <rule id="world"><inputEntry><text>not("DE","FR")</text></inputEntry>
        <outputEntry><text>"World"</text></outputEntry></rule>
    </decisionTable>
  </decision>
  <decision id="rate" name="Base rate">
    <informationRequirement><requiredDecision href="#zone"/></informationRequirement>
    <decisionTable>
      <input label="Zone"><inputExpression><text>Zone</text></inputExpression></input>
      <output name="rate" typeRef="number"/>
      <rule><inputEntry><text>"EU"</text></inputEntry><outputEntry><text>5</text></outputEntry></rule>
      <rule><inputEntry><text>"World"</text></inputEntry><outputEntry><text>20</text></outputEntry></rule>
    </decisionTable>
  </decision>
  <decision id="surcharge" name="Surcharge">
    <informationRequirement><requiredDecision href="#zone"/></informationRequirement>
    <informationRequirement><requiredInput href="#in_weight"/></informationRequirement>
    <decisionTable hitPolicy="COLLECT" aggregation="SUM">
      <input label="Weight"><inputExpression><text>weight</text></inputExpression></input>
      <input label="Zone"><inputExpression><text>zone</text></inputExpression></input>
      <output name="surcharge" typeRef="number"/>
      <rule><inputEntry><text>[10..20]</text></inputEntry><inputEntry><text>-</text></inputEntry>
        <outputEntry><text>3</text></outputEntry></rule>
      <rule><inputEntry><text>&gt; 20</text></inputEntry><inputEntry><text>-</text></inputEntry>
        <outputEntry><text>8</text></outputEntry></rule>
      <rule><inputEntry><text>-</text></inputEntry><inputEntry><text>"World"</text></inputEntry>
        <outputEntry><text>weight * 0.5</text></outputEntry></rule>
    </decisionTable>
  </decision>
  <decision id="price" name="Shipping price">
    <variable name="Shipping price" typeRef="number"/>
    <informationRequirement><requiredDecision href="#rate"/></informationRequirement>
    <informationRequirement><requiredDecision href="#surcharge"/></informationRequirement>
    <literalExpression><text>Base rate + Surcharge</text></literalExpression>
  </decision>
""")


def test_required_decisions_are_evaluated_first_and_seen_by_name():
    definitions = parse_dmn(SHIPPING)
    result = evaluate_decision(definitions, "price", {"country": "US", "weight": 12})
    assert result.value == Decimal("29.0")  # 20 + 3 + 12 * 0.5
    assert result.evaluated["rate"].value == Decimal(20)
    assert result.evaluated["surcharge"].value == Decimal("9.0")
    assert result.evaluated["zone"].value == "World"


def test_a_decision_required_twice_is_evaluated_once():
    definitions = parse_dmn(SHIPPING)
    result = evaluate_decision(definitions, "price", {"country": "DE", "weight": 5})
    assert result.evaluated["rate"].evaluated["zone"] is result.evaluated["surcharge"].evaluated["zone"]


def test_single_row_outputs_of_a_required_table_are_visible_by_output_name():
    # Camunda style: the surcharge table reads `zone`, the output name of decision "Zone"
    definitions = parse_dmn(SHIPPING)
    assert evaluate_decision(definitions, "surcharge", {"country": "US", "weight": 1}).value == Decimal("0.5")
    assert evaluate_decision(definitions, "surcharge", {"country": "FR", "weight": 1}).value is None


def test_a_value_outside_the_input_values_is_treated_as_null():
    definitions = parse_dmn(SHIPPING)
    # "JP" is not among "DE","FR","US": the input is null, which not("DE","FR") still matches
    assert evaluate_decision(definitions, "zone", {"country": "JP"}).value == "World"


def test_literal_expression_result_is_checked_against_its_type():
    definitions = parse_dmn(dmn("""
  <decision id="label" name="Label"><variable name="Label" typeRef="number"/>
    <literalExpression><text>"free shipping"</text></literalExpression></decision>"""))
    result = evaluate_decision(definitions, "label", {})
    assert result.value is None
    assert result.outputs == [{"Label": None}]


def test_input_data_are_conformed_to_their_declared_type():
    definitions = parse_dmn(SHIPPING)
    result = evaluate_decision(definitions, "surcharge", {"country": "DE", "weight": "heavy"})
    assert result.value is None  # a string weight is no number: null, so no weight rule matches


def test_decisions_can_be_found_by_name_with_a_suggestion_when_unknown():
    definitions = parse_dmn(SHIPPING)
    assert evaluate_decision(definitions, "Zone", {"country": "DE"}).value == "EU"
    with pytest.raises(DecisionError, match="did you mean 'price'"):
        evaluate_decision(definitions, "prize", {})


def test_camunda_juel_entries_see_the_input_value_as_cell_input_or_the_input_variable():
    definitions = parse_dmn(dmn("""
  <decision id="d" name="D"><decisionTable hitPolicy="COLLECT">
    <input camunda:inputVariable="amount"><inputExpression><text>order.total</text></inputExpression></input>
    <input><inputExpression><text>order.items</text></inputExpression></input>
    <output name="flag"/>
    <rule><inputEntry><text>${amount &gt; limit}</text></inputEntry><inputEntry><text>-</text></inputEntry>
      <outputEntry><text>"big"</text></outputEntry></rule>
    <rule><inputEntry><text>-</text></inputEntry><inputEntry><text>${cellInput &gt;= 10}</text></inputEntry>
      <outputEntry><text>"bulk"</text></outputEntry></rule>
  </decisionTable></decision>"""))
    order = {"total": 500, "items": 12}
    assert evaluate_decision(definitions, "d", {"order": order, "limit": 100}).value == ["big", "bulk"]
    order = {"total": 50, "items": 1}
    assert evaluate_decision(definitions, "d", {"order": order, "limit": 100}).value is None


def test_empty_cells_mean_any_input_and_a_null_output():
    definitions = parse_dmn(dmn("""
  <decision id="d" name="D"><decisionTable>
    <input><inputExpression><text>x</text></inputExpression></input>
    <output name="a"/><output name="b"/>
    <rule><inputEntry><text></text></inputEntry>
      <outputEntry><text>"yes"</text></outputEntry><outputEntry><text></text></outputEntry></rule>
  </decisionTable></decision>"""))
    assert evaluate_decision(definitions, "d", {"x": 1}).value == {"a": "yes", "b": None}


def test_unary_tests_compare_with_other_variables_and_ranges():
    definitions = parse_dmn(dmn("""
  <decision id="d" name="D"><decisionTable hitPolicy="FIRST">
    <input><inputExpression><text>stock</text></inputExpression></input>
    <output name="status"/>
    <rule><inputEntry><text>&lt; reorderPoint</text></inputEntry>
      <outputEntry><text>"reorder"</text></outputEntry></rule>
    <rule><inputEntry><text>[reorderPoint..100]</text></inputEntry>
      <outputEntry><text>"ok"</text></outputEntry></rule>
    <rule><inputEntry><text>-</text></inputEntry><outputEntry><text>"overstock"</text></outputEntry></rule>
  </decisionTable></decision>"""))

    def status(stock):
        return evaluate_decision(definitions, "d", {"stock": stock, "reorderPoint": 10}).value

    assert [status(3), status(10), status(100), status(250)] == ["reorder", "ok", "ok", "overstock"]


def test_unique_violation_names_the_decision_and_rules():
    definitions = parse_dmn(dmn("""
  <decision id="d" name="Approval"><decisionTable>
    <input><inputExpression><text>x</text></inputExpression></input>
    <output name="a"/>
    <rule id="first"><inputEntry><text>&gt; 1</text></inputEntry>
      <outputEntry><text>1</text></outputEntry></rule>
    <rule id="second"><inputEntry><text>&gt; 2</text></inputEntry>
      <outputEntry><text>2</text></outputEntry></rule>
  </decisionTable></decision>"""))
    with pytest.raises(DecisionError, match=r"'Approval'.*rule 1 \(first\), rule 2 \(second\)"):
        evaluate_decision(definitions, "d", {"x": 5})


def test_typed_outputs_null_a_wrong_typed_cell():
    definitions = parse_dmn(dmn("""
  <decision id="d" name="D"><decisionTable>
    <input><inputExpression><text>x</text></inputExpression></input>
    <output name="n" typeRef="number"/>
    <rule><inputEntry><text>-</text></inputEntry><outputEntry><text>"seven"</text></outputEntry></rule>
  </decisionTable></decision>"""))
    assert evaluate_decision(definitions, "d", {"x": 1}).value is None


def age_table(hit_policy: str) -> str:
    return dmn(f"""
  <decision id="d" name="D"><decisionTable hitPolicy="{hit_policy}">
    <input label="Age"><inputExpression typeRef="number"><text>age</text></inputExpression></input>
    <output name="status" typeRef="string">
      <outputValues><text>"Declined","Approved"</text></outputValues></output>
    <rule><inputEntry><text>&gt;= 18</text></inputEntry>
      <outputEntry><text>"Approved"</text></outputEntry></rule>
    <rule><inputEntry><text>&lt; 21</text></inputEntry>
      <outputEntry><text>"Declined"</text></outputEntry></rule>
  </decisionTable></decision>""")


@pytest.mark.parametrize(
    ("hit_policy", "age", "expected"),
    [
        ("PRIORITY", 19, "Declined"),
        ("PRIORITY", 30, "Approved"),
        ("RULE ORDER", 19, ["Approved", "Declined"]),
        ("OUTPUT ORDER", 19, ["Declined", "Approved"]),
    ],
)
def test_the_documented_priority_example(hit_policy, age, expected):
    assert evaluate_decision(parse_dmn(age_table(hit_policy)), "d", {"age": age}).value == expected
