"""The OpenAPI 3 description of /api/v1 (served at /api/v1/openapi.json)."""

from __future__ import annotations

from typing import Any

from bridge.tracker.steps import STEP_NAMES


def _filters() -> list[dict[str, Any]]:
    return [
        {
            "name": "directorate",
            "in": "query",
            "schema": {"type": "string"},
            "description": "Directorate code (DGFIP...)",
        },
        {
            "name": "unit",
            "in": "query",
            "schema": {"type": "string"},
            "description": "Unit name, exactly as imported",
        },
        {
            "name": "from",
            "in": "query",
            "schema": {"type": "string", "format": "date"},
            "description": "Period start (UTC day, inclusive)",
        },
        {
            "name": "to",
            "in": "query",
            "schema": {"type": "string", "format": "date"},
            "description": "Period end (UTC day, inclusive)",
        },
    ]


def _code() -> dict[str, Any]:
    return {
        "name": "code",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
        "description": "Campaign code",
    }


def _errors(*statuses: int) -> dict[str, Any]:
    text = {
        400: "Invalid parameter",
        401: "Missing, unknown or revoked token",
        403: "Token scoped to another campaign",
        404: "Unknown campaign",
    }
    return {
        str(s): {
            "description": text[s],
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
        for s in statuses
    }


def _ok(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"200": {"description": description, "content": {"application/json": {"schema": schema}}}}


COUNTS = {"type": "object", "properties": {name: {"type": "integer"} for name in STEP_NAMES}}
LEVELS = {
    "type": "object",
    "additionalProperties": {"type": "integer"},
    "nullable": True,
    "description": "competence code -> level",
}


def openapi_document() -> dict[str, Any]:
    campaign_get = {"parameters": [_code(), *_filters()]}
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "pacnum-bridge BI API",
            "version": "1",
            "description": "Campaign tracker data for BI tools, read-only, pseudonymous.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {
                    "type": "object",
                    "properties": {
                        "error": {"type": "string"},
                        "message": {"type": "string"},
                        "status": {"type": "integer"},
                    },
                },
                "Counts": COUNTS,
            },
        },
        "paths": {
            "/campaigns": {
                "get": {
                    "summary": "Campaigns the token may read",
                    "responses": {
                        **_ok(
                            "Campaigns",
                            {
                                "type": "object",
                                "properties": {"data": {"type": "array", "items": {"type": "object"}}},
                            },
                        ),
                        **_errors(401),
                    },
                }
            },
            "/campaigns/{code}/funnel": {
                "get": {
                    "summary": "Funnel counts, total and by directorate or unit",
                    "parameters": [
                        *campaign_get["parameters"],
                        {
                            "name": "group",
                            "in": "query",
                            "schema": {
                                "type": "string",
                                "enum": ["directorate", "unit", "none"],
                                "default": "directorate",
                            },
                        },
                    ],
                    "responses": {
                        **_ok(
                            "Funnel",
                            {
                                "type": "object",
                                "properties": {
                                    "total": {"$ref": "#/components/schemas/Counts"},
                                    "groups": {"type": "array", "items": {"type": "object"}},
                                },
                            },
                        ),
                        **_errors(400, 401, 403, 404),
                    },
                }
            },
            "/campaigns/{code}/progress": {
                "get": {
                    "summary": "Members reaching each step per day or week (UTC)",
                    "parameters": [
                        *campaign_get["parameters"],
                        {
                            "name": "period",
                            "in": "query",
                            "schema": {"type": "string", "enum": ["day", "week"], "default": "week"},
                        },
                    ],
                    "responses": {**_ok("Progress", {"type": "object"}), **_errors(400, 401, 403, 404)},
                }
            },
            "/campaigns/{code}/levels": {
                "get": {
                    "summary": "Agents per level and competence (latest finished assessment)",
                    "parameters": [_code(), *_filters()[:2]],
                    "responses": {
                        **_ok("Level distribution", {"type": "object"}),
                        **_errors(400, 401, 403, 404),
                    },
                }
            },
            "/campaigns/{code}/before-after": {
                "get": {
                    "summary": "Mean level at the first and latest assessment, for agents assessed twice",
                    "parameters": [_code(), *_filters()[:2]],
                    "responses": {**_ok("Before/after", {"type": "object"}), **_errors(400, 401, 403, 404)},
                }
            },
            "/campaigns/{code}/agents": {
                "get": {
                    "summary": "One row per member, pseudonymous, keyset-paginated",
                    "parameters": [
                        _code(),
                        *_filters()[:2],
                        {
                            "name": "limit",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100},
                        },
                        {
                            "name": "cursor",
                            "in": "query",
                            "schema": {"type": "string"},
                            "description": "next_cursor of the previous page",
                        },
                    ],
                    "responses": {
                        **_ok(
                            "A page of members",
                            {
                                "type": "object",
                                "properties": {
                                    "data": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "properties": {
                                                "agent": {"type": "string"},
                                                "directorate": {"type": "string", "nullable": True},
                                                "unit": {"type": "string", "nullable": True},
                                                "levels": LEVELS,
                                                "first_levels": LEVELS,
                                                "recommendations": {
                                                    "type": "object",
                                                    "additionalProperties": {"type": "integer"},
                                                },
                                            },
                                        },
                                    },
                                    "next_cursor": {"type": "string", "nullable": True},
                                },
                            },
                        ),
                        **_errors(400, 401, 403, 404),
                    },
                }
            },
        },
    }
