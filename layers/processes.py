"""OGC API – Processes: processes run synchronously by pygeoapi's manager.

``gb18218-grading`` identifies and grades one unit under GB 18218-2018 from the substances it holds
(``geo.gb18218.identify``): S = Σ qᵢ/Qᵢ, whether it is a major hazard source, and if so
R = α·Σ βᵢ·qᵢ/Qᵢ and the grade, with every term explained. Quantities are in tonnes, as the
standard gives them. Invalid inputs are refused with the message of ``geo.gb18218``.
"""

from __future__ import annotations

from typing import Any

from pygeoapi.process.base import BaseProcessor, ProcessorExecuteError

from geo import gb18218

HOLDING_SCHEMA = {
    "type": "object",
    "required": ["name", "q_t"],
    "properties": {
        "name": {"type": "string", "description": "The substance's name, e.g. 氯."},
        "cas": {"type": "string", "description": "CAS number (finds the substance in Table 3)."},
        "table1_seq": {"type": "integer", "minimum": 1, "description": "Row (序号) in Table 1, if listed there."},
        "categories": {
            "type": "array",
            "items": {"type": "string"},
            "description": 'Table 2 categories, e.g. ["W5.3"], for a substance outside Table 1.',
        },
        "q_t": {"type": "number", "minimum": 0, "description": "Design maximum quantity in the unit (t)."},
        "condition": {"type": "string", "enum": list(gb18218.CONDITIONS), "default": ""},
        "label": {"type": "string", "description": "Shown in the explanation, e.g. the tank's tag."},
    },
}

GRADING_METADATA = {
    "version": "1.0.0",
    "id": "gb18218-grading",
    "title": {"en": "GB 18218-2018 identification and grading", "zh": "GB 18218-2018 重大危险源辨识与分级"},
    "description": {
        "en": "S = Σ q/Q of one unit; when S ≥ 1, R = α·Σ β·q/Q and the grade (1 most severe to 4).",
        "zh": "计算单元的 S = Σ q/Q；S ≥ 1 时计算 R = α·Σ β·q/Q 并分级（一级最高）。",
    },
    "jobControlOptions": ["sync-execute"],
    "outputTransmission": ["value"],
    "keywords": ["GB 18218-2018", "major hazard source", "grading"],
    "links": [],
    "inputs": {
        "holdings": {
            "title": "Substances held in the unit",
            "description": "One entry per piece of equipment or substance, q in tonnes.",
            "schema": {"type": "array", "items": HOLDING_SCHEMA},
            "minOccurs": 1,
            "maxOccurs": 1,
        },
        "population": {
            "title": "Residents within 500 m",
            "description": "Permanent residents within 500 m outside the boundary (sets α, Table 5).",
            "schema": {"type": "integer", "minimum": 0},
            "minOccurs": 1,
            "maxOccurs": 1,
        },
    },
    "outputs": {
        "grading": {
            "title": "Identification and grading",
            "description": "S, is_major, R, grade, α and every term with its source in the standard.",
            "schema": {"type": "object", "contentMediaType": "application/json"},
        }
    },
    "example": {
        "inputs": {"holdings": [{"name": "氯", "table1_seq": 12, "cas": "7782-50-5", "q_t": 50}], "population": 120}
    },
}
GRADING_REQUEST = {
    "type": "object",
    "required": ["inputs"],
    "properties": {
        "inputs": {
            "type": "object",
            "required": ["holdings", "population"],
            "properties": {
                "holdings": {"type": "array", "items": HOLDING_SCHEMA},
                "population": {"type": "integer", "minimum": 0},
            },
        }
    },
}


def _holding(item: Any, index: int) -> gb18218.Holding:
    if not isinstance(item, dict):
        raise ValueError(f"holdings[{index}] must be an object with name and q_t")
    unknown = set(item) - set(HOLDING_SCHEMA["properties"])
    if unknown:
        raise ValueError(f"holdings[{index}] has unknown fields: {', '.join(sorted(unknown))}")
    if not isinstance(item.get("name"), str) or not item["name"].strip():
        raise ValueError(f"holdings[{index}].name must be the substance's name")
    seq = item.get("table1_seq")
    if seq is not None and (isinstance(seq, bool) or not isinstance(seq, int)):
        raise ValueError(f"holdings[{index}].table1_seq must be an integer")
    categories = item.get("categories", [])
    if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories):
        raise ValueError(f'holdings[{index}].categories must be a list of Table 2 symbols such as "W5.3"')
    cas = item.get("cas")
    if cas is not None and not isinstance(cas, str):
        raise ValueError(f"holdings[{index}].cas must be text")
    chemical = gb18218.Chemical(
        name=item["name"].strip(), cas=cas or None, table1_seq=seq, categories=tuple(categories)
    )
    condition = item.get("condition", "")
    if not isinstance(condition, str):
        raise ValueError(f"holdings[{index}].condition must be one of {gb18218.CONDITIONS}")
    return gb18218.Holding(chemical, item.get("q_t"), condition, str(item.get("label", "")))


def grade(inputs: dict) -> dict:
    """Identify and grade the unit described by ``inputs`` (holdings, population); ``ValueError`` when invalid."""
    if not isinstance(inputs, dict):
        raise ValueError("inputs must be an object with holdings and population")
    holdings, population = inputs.get("holdings"), inputs.get("population")
    if not isinstance(holdings, list):
        raise ValueError("inputs.holdings must be a list of {name, q_t, …}")
    if isinstance(population, bool) or not isinstance(population, int) or population < 0:
        raise ValueError("inputs.population must be a whole number of residents, 0 or more")
    return gb18218.identify([_holding(item, i) for i, item in enumerate(holdings)], population).to_dict()


class GradingProcessor(BaseProcessor):
    """The ``gb18218-grading`` process."""

    metadata = GRADING_METADATA

    def __init__(self, processor_def: dict) -> None:
        super().__init__(processor_def, GRADING_METADATA)

    @staticmethod
    def check(inputs: Any) -> None:
        """Raise ``ValueError`` with the reason when ``inputs`` cannot be graded (checked before execution)."""
        grade(inputs)

    def execute(self, data: dict, outputs: dict | None = None) -> tuple[str, Any]:
        try:
            result = grade(data)
        except ValueError as error:  # ClassificationError is a ValueError
            raise ProcessorExecuteError(user_msg=str(error)) from None
        return "application/json", result

    def __repr__(self) -> str:
        return "<GradingProcessor gb18218-grading>"


PROCESSES = {"gb18218-grading": GradingProcessor}
REQUEST_SCHEMAS = {"gb18218-grading": GRADING_REQUEST}
