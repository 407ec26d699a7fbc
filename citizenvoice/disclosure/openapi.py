"""The OpenAPI 3.1 document of the open data, generated from the data set definitions."""

from __future__ import annotations

from types import ModuleType
from typing import Any

PREFIX = "/api/v1"

ERROR = {
    "type": "object",
    "required": ["error", "status"],
    "properties": {
        "error": {"type": "string", "description": "Short title of the problem."},
        "status": {"type": "integer", "description": "The HTTP status code."},
        "detail": {"type": ["string", "null"], "description": "Which parameter and why."},
    },
}


def _param(
    name: str, where: str, schema: dict[str, Any], description: str, required: bool = False
) -> dict[str, Any]:
    return {
        "name": name,
        "in": where,
        "required": required or where == "path",
        "schema": schema,
        "description": description,
    }


CODE_SCHEMA = {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_.-]{0,59}$"}
PAGING = [
    _param(
        "limit",
        "query",
        {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100},
        "Rows per page (1-1000).",
    ),
    _param(
        "offset",
        "query",
        {"type": "integer", "minimum": 0, "maximum": 1_000_000_000, "default": 0},
        "Rows to skip.",
    ),
    _param(
        "format",
        "query",
        {"type": "string", "enum": ["json", "csv"], "default": "json"},
        "json (default) or csv (the same columns, a header row first).",
    ),
]
VERSION = _param(
    "version",
    "query",
    {"type": "integer", "minimum": 1, "maximum": 1_000_000},
    "Publication version; the latest when omitted.",
)
CYCLE = _param("code", "path", CODE_SCHEMA, "Code of a published cycle.")
HEADERS = {
    "ETag": {"schema": {"type": "string"}, "description": "Send it back in If-None-Match."},
    "X-Total-Count": {"schema": {"type": "integer"}, "description": "Rows in the whole list."},
}


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _list_operation(
    dataset: str, summary: str, description: str, extra: list[dict[str, Any]], not_found: bool
) -> dict[str, Any]:
    responses: dict[str, Any] = {
        "200": {
            "description": f"A page of {dataset}.",
            "headers": HEADERS,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["data", "meta"],
                        "properties": {
                            "data": {
                                "type": "array",
                                "items": {"$ref": f"#/components/schemas/{dataset}"},
                            },
                            "meta": {"$ref": "#/components/schemas/Meta"},
                        },
                    }
                },
                "text/csv": {"schema": {"type": "string"}},
            },
        },
        "304": {"description": "Not modified (If-None-Match matched the ETag)."},
        "400": _error("A parameter is malformed or out of range."),
    }
    if not_found:
        responses["404"] = _error("No such published cycle, version or unit.")
    return {
        "summary": summary,
        "description": description,
        "operationId": dataset if not not_found else f"{dataset}_{summary.split()[0].lower()}",
        "parameters": [*extra, *PAGING],
        "responses": responses,
    }


def document(server: str, opendata: ModuleType) -> dict[str, Any]:
    datasets = opendata.DATASETS
    month = {"type": "string", "pattern": "^(?!0000)[0-9]{4}-(0[1-9]|1[0-2])$"}
    paths: dict[str, Any] = {
        "/units": {
            "get": _list_operation("units", "Units", datasets["units"].description, [], False)
        },
        "/services": {
            "get": _list_operation(
                "services", "Services", datasets["services"].description, [], False
            )
        },
        "/service-points": {
            "get": _list_operation(
                "service_points",
                "Service points",
                datasets["service_points"].description,
                [_param("unit", "query", CODE_SCHEMA, "Only the points of this unit (code).")],
                False,
            )
        },
        "/cycles": {
            "get": _list_operation(
                "cycles", "Published cycles", datasets["cycles"].description, [], False
            )
        },
        "/cycles/{code}/results": {
            "get": _list_operation(
                "results",
                "Results of a cycle",
                datasets["results"].description,
                [CYCLE, VERSION],
                True,
            )
        },
        "/cycles/{code}/indicators": {
            "get": _list_operation(
                "indicator_results",
                "Indicator results of a cycle",
                datasets["indicator_results"].description,
                [CYCLE, VERSION, _param("unit", "query", CODE_SCHEMA, "Only this unit (code).")],
                True,
            )
        },
        "/units/{code}/results": {
            "get": {
                **_list_operation(
                    "results",
                    "Unit results over cycles",
                    "A unit's result in every published cycle (latest versions), newest first.",
                    [_param("code", "path", CODE_SCHEMA, "Code of the unit.")],
                    True,
                ),
                "operationId": "unit_results",
            }
        },
        "/closed-loop": {
            "get": _list_operation(
                "closed_loop", "Answers to citizens", datasets["closed_loop"].description, [], False
            )
        },
        "/commitments": {
            "get": _list_operation(
                "commitments",
                "Improvement commitments",
                datasets["commitments"].description,
                [
                    _param(
                        "unit",
                        "query",
                        CODE_SCHEMA,
                        "Only the commitments this unit's page lists: its own and its "
                        "sub-units' (code). An unknown code gives an empty list.",
                    )
                ],
                False,
            )
        },
        "/appeals": {
            "get": _list_operation(
                "appeals", "Appeal statistics", datasets["appeals"].description, [], False
            )
        },
        "/publications": {
            "get": _list_operation(
                "publications", "Publications", datasets["publications"].description, [], False
            )
        },
        "/rating-aggregates": {
            "get": _list_operation(
                "rating_aggregates",
                "Monthly rating aggregates",
                datasets["rating_aggregates"].description,
                [
                    _param("point", "query", CODE_SCHEMA, "Only this service point (code)."),
                    _param(
                        "unit", "query", CODE_SCHEMA, "Only the points directly under this unit."
                    ),
                    _param("from", "query", month, "First month, YYYY-MM."),
                    _param("to", "query", month, "Last month, YYYY-MM."),
                ],
                False,
            )
        },
        "/cycles/{code}/snapshots/{version}": {
            "get": {
                "summary": "Snapshot as stored",
                "description": "The frozen snapshot of one publication, byte for byte: its SHA-256 "
                "is the published sha256.",
                "operationId": "snapshot",
                "parameters": [
                    CYCLE,
                    _param(
                        "version",
                        "path",
                        {"type": "integer", "minimum": 0, "maximum": 1_000_000},
                        "Version.",
                    ),
                ],
                "responses": {
                    "200": {
                        "description": "The snapshot.",
                        "headers": {"ETag": HEADERS["ETag"]},
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    },
                    "304": {"description": "Not modified."},
                    "404": _error("No such published cycle or version."),
                },
            }
        },
        "/": {
            "get": {
                "summary": "Index",
                "operationId": "index",
                "description": "Links to the data sets, the dictionary and this document.",
                "parameters": [],
                "responses": {
                    "200": {
                        "description": "Links.",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["datasets"],
                                    "properties": {"datasets": {"type": "object"}},
                                }
                            }
                        },
                    },
                    "304": {"description": "Not modified."},
                },
            }
        },
        "/dictionary": {
            "get": {
                "summary": "Data dictionary",
                "operationId": "dictionary",
                "description": "Every data set with its fields, types and meanings.",
                "responses": {
                    "200": {
                        "description": "The dictionary.",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "additionalProperties": {"type": "object"},
                                }
                            }
                        },
                    },
                    "304": {"description": "Not modified."},
                },
            }
        },
        "/openapi.json": {
            "get": {
                "summary": "This document",
                "operationId": "openapi",
                "responses": {
                    "200": {
                        "description": "OpenAPI 3.1.",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    },
                    "304": {"description": "Not modified."},
                },
            }
        },
    }
    schemas: dict[str, Any] = {name: d.schema() for name, d in datasets.items()}
    schemas["Error"] = ERROR
    schemas["Meta"] = {
        "type": "object",
        "required": ["dataset", "total", "limit", "offset", "next_offset"],
        "properties": {
            "dataset": {"type": "string"},
            "total": {"type": "integer", "description": "Rows in the whole list."},
            "limit": {"type": "integer"},
            "offset": {"type": "integer"},
            "next_offset": {"type": ["integer", "null"], "description": "Offset of the next page."},
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "CitizenVoice open data",
            "version": "1.0.0",
            "description": "Published results of government units and monthly aggregates of "
            "citizens' ratings. Read-only, no authentication. Unpublished cycles, individual "
            "ratings and anything identifying are never served.",
        },
        "servers": [{"url": server.rstrip("/") + PREFIX}],
        "paths": paths,
        "components": {"schemas": schemas},
    }
