"""The OpenAPI 3.1 document of /api/v1/, served at /api/v1/openapi.json.

Kept honest by tests/api/test_contract.py: every path here is requested and every answer is
validated against the schema written here (objects are closed, `additionalProperties:
false`, so a field the API starts sending without saying so fails the test too)."""

from __future__ import annotations

from typing import Any

from diaspora.accounts.choices import INTEREST_SECTORS
from diaspora.insights.tables import BARS, MONTHLY, RATES, TABLES
from diaspora.projects.models import PUBLIC_STATES
from diaspora.surveys.results import MIN_CELL, SUPPRESSED

VERSION = "1.0.0"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: dict[str, Any], description: str = "") -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties,
                              "required": list(properties), "additionalProperties": False}
    if description:
        schema["description"] = description
    return schema


NULLABLE_STRING = {"type": ["string", "null"]}
NULLABLE_INT = {"type": ["integer", "null"]}
URL = {"type": "string", "format": "uri"}
DATETIME = {"type": "string", "format": "date-time"}

_NEWS = {
    "id": {"type": "integer"},
    "title": _ref("Texts"),
    "summary": _ref("Texts"),
    "tags": {"type": "array", "items": {"type": "string"}},
    "place": {"oneOf": [_ref("PlaceRef"), {"type": "null"}],
              "description": "The place an authority wrote for; null for programme-wide news."},
    "published_at": {"type": ["string", "null"], "format": "date-time"},
    "image_url": {"type": ["string", "null"], "format": "uri"},
    "url": URL,
}
_PROJECT = {
    "id": {"type": "integer"},
    "title": {"type": "string"},
    "summary": {"type": "string"},
    "language": {"type": "string", "description": "The language its author wrote in."},
    "sector": {"type": ["string", "null"], "enum": [*INTEREST_SECTORS, None]},
    "status": {"type": "string", "enum": list(PUBLIC_STATES)},
    "origin": {"type": "string", "enum": ["member", "authority"],
               "description": "Proposed by a compatriot (never named) or posted by the local "
                              "authority."},
    "place": _ref("PlaceRef"),
    "region_id": NULLABLE_INT,
    "supporters": _ref("Count"),
    "published_at": {"type": ["string", "null"], "format": "date-time"},
    "url": URL,
}
_SURVEY = {
    "id": {"type": "integer"},
    "title": _ref("Texts"),
    "intro": _ref("Texts"),
    "anonymous": {"type": "boolean"},
    "opens_at": {"type": ["string", "null"], "format": "date-time"},
    "closes_at": {"type": ["string", "null"], "format": "date-time"},
    "question_count": {"type": "integer", "minimum": 0},
    "url": URL,
}
_PLACE = {
    "id": {"type": "integer"},
    "code": {"type": "string"},
    "soate": NULLABLE_STRING,
    "level": {"type": "integer", "enum": [1, 2, 3],
              "description": "1 region or republican city, 2 district or town, 3 community."},
    "kind": {"type": "string"},
    "name": _ref("Texts"),
    "former_name": {"oneOf": [_ref("Texts"), {"type": "null"}]},
    "parent_id": NULLABLE_INT,
    "region_id": NULLABLE_INT,
    "district_id": NULLABLE_INT,
}

UNITS = ("members", "projects", "requests", "responses")

SCHEMAS: dict[str, Any] = {
    "Texts": {
        "type": "object", "additionalProperties": False,
        "properties": {code: {"type": "string"} for code in ("ky", "ru", "en")},
        "description": "A text in Kyrgyz, Russian and English; a language it was not written "
                       "in is left out.",
    },
    "Count": {
        "oneOf": [{"type": "integer", "minimum": 0}, {"const": SUPPRESSED}],
        "description": f"A number of people (or projects); \"{SUPPRESSED}\" when it is 1 to "
                       f"{MIN_CELL - 1}, or hidden to protect such a cell.",
    },
    "PlaceRef": _object({"id": {"type": "integer"},
                         "level": {"type": "integer", "enum": [1, 2, 3]},
                         "name": _ref("Texts")}),
    "News": _object(_NEWS, "A published news post."),
    "NewsDetail": _object({**_NEWS, "body_html": _ref("Texts")},
                          "A published news post with its body (sanitised HTML)."),
    "Project": _object(_PROJECT, "A project in a public state."),
    "ProjectDetail": _object({
        **_PROJECT,
        "description_html": {"type": "string"},
        "contributions": {"type": "array", "items": {"type": "string"}},
        "budget_som": NULLABLE_INT,
        "raised_som": NULLABLE_INT,
        "spent_som": NULLABLE_INT,
        "photo_urls": {"type": "array", "items": URL},
    }, "A project in a public state, with its description and progress."),
    "Survey": _object(_SURVEY, "An open survey for everyone: what it is, never its answers."),
    "Place": _object(_PLACE, "A place of the gazetteer of Kyrgyzstan."),
    "Cell": {**_object({"key": {"type": "string"}, "label": _ref("Texts"),
                        "count": _ref("Count"),
                        "rate": {"oneOf": [{"type": "number", "minimum": 0, "maximum": 1},
                                           {"const": SUPPRESSED}, {"type": "null"}],
                                 "description": "Tables of kind `rates`: the share answered."},
                        "median_days": {"oneOf": [{"type": "number", "minimum": 0},
                                                  {"const": SUPPRESSED}, {"type": "null"}],
                                        "description": "Tables of kind `rates`: the median "
                                                       "days to the answer."}}),
             "required": ["key", "label", "count"]},
    "Aggregate": _object({
        "id": {"type": "string"},
        "title": _ref("Texts"),
        "unit": {"type": "string", "enum": list(UNITS)},
        "kind": {"type": "string", "enum": [BARS, MONTHLY, RATES],
                 "description": "`bars`: a count a group; `months`: a count a month, the last "
                                "twelve; `rates`: a count a group with the share answered and "
                                "the median days to the answer."},
        "min_cell": {"type": "integer", "const": MIN_CELL},
        "suppressed": {"type": "boolean",
                       "description": "Whether any figure of this table is hidden."},
        "total": {"oneOf": [_ref("Count"), {"type": "null"}],
                  "description": "null where the cells don't add up to a total (a member "
                                 "names several sectors; a member answers several surveys)."},
        "cells": {"type": "array", "items": _ref("Cell")},
    }, f"One table of counts. A cell of 1 to {MIN_CELL - 1} reads \"{SUPPRESSED}\"; so does "
       f"the smallest other cell when the hidden ones together would be fewer than "
       f"{MIN_CELL}, so the total minus the shown cells never reveals a hidden one."),
    "AggregateRef": _object({"id": {"type": "string"}, "title": _ref("Texts"),
                             "unit": {"type": "string", "enum": list(UNITS)},
                             "url": URL}),
    "Links": _object({"self": URL, "first": URL, "last": URL,
                      "prev": {"type": ["string", "null"], "format": "uri"},
                      "next": {"type": ["string", "null"], "format": "uri"}}),
    "Meta": _object({"page": {"type": "integer", "minimum": 1},
                     "per_page": {"type": "integer", "minimum": 1, "maximum": 100},
                     "total": {"type": "integer", "minimum": 0},
                     "pages": {"type": "integer", "minimum": 1}}),
    "Error": {
        "type": "object", "additionalProperties": False,
        "required": ["error", "status", "message"],
        "properties": {
            "error": {"type": "string", "enum": [
                "bad_request", "bad_parameter", "forbidden", "not_found",
                "method_not_allowed", "too_large", "rate_limited", "server_error"],
                "description": "A stable code for programs."},
            "status": {"type": "integer"},
            "message": {"type": "string",
                        "description": "For people, in the language asked for (?lang= or "
                                       "Accept-Language; Kyrgyz by default)."},
            "parameter": {"type": "string", "description": "The parameter refused."},
        },
    },
}
for _name in ("News", "Project", "Survey", "Place"):
    SCHEMAS[f"{_name}List"] = _object({"data": {"type": "array", "items": _ref(_name)},
                                       "links": _ref("Links"), "meta": _ref("Meta")})
for _name in ("NewsDetail", "ProjectDetail", "Survey", "Place", "Aggregate"):
    SCHEMAS[f"{_name}Answer"] = _object({"data": _ref(_name)})
SCHEMAS["AggregateIndex"] = _object({"data": {"type": "array", "items": _ref("AggregateRef")}})


def _parameter(name: str, where: str, schema: dict, description: str,
               required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": where, "required": required or where == "path",
            "schema": schema, "description": description}


PARAMETERS: dict[str, Any] = {
    "page": _parameter("page", "query", {"type": "integer", "minimum": 1, "default": 1},
                       "The page, from 1."),
    "per_page": _parameter("per_page", "query",
                           {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
                           "Items per page, at most 100."),
    "lang": _parameter("lang", "query", {"type": "string", "enum": ["ky", "ru", "en"]},
                       "The language of error messages (else Accept-Language, else ky). "
                       "Data always carry every language."),
    "region": _parameter("region", "query", {"type": "integer", "minimum": 1},
                         "Only items of this region (a place id of level 1)."),
    "id": _parameter("id", "path", {"type": "integer", "minimum": 1}, "The item's id."),
}
_PAGED = [{"$ref": "#/components/parameters/page"}, {"$ref": "#/components/parameters/per_page"}]
_LANG = {"$ref": "#/components/parameters/lang"}
_ID = {"$ref": "#/components/parameters/id"}
_REGION = {"$ref": "#/components/parameters/region"}


def _error(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": _ref("Error")}}}


RESPONSES: dict[str, Any] = {
    "NotModified": {"description": "Not modified: the ETag sent in If-None-Match is current."},
    "BadParameter": _error("A parameter has an unusable value (`error`: bad_parameter)."),
    "NotFound": _error("Nothing at this address (`error`: not_found)."),
    "RateLimited": _error("Too many requests from this address (`error`: rate_limited); "
                          "Retry-After says when to try again."),
}


def _get(summary: str, schema: str, parameters: list, *, listing: bool) -> dict[str, Any]:
    responses: dict[str, Any] = {
        "200": {
            "description": "OK. Cache-Control: public, max-age=60; a strong ETag.",
            "headers": {"ETag": {"schema": {"type": "string"}}},
            "content": {"application/json": {"schema": _ref(schema)}},
        },
        "304": {"$ref": "#/components/responses/NotModified"},
        "429": {"$ref": "#/components/responses/RateLimited"},
    }
    if listing:
        responses["400"] = {"$ref": "#/components/responses/BadParameter"}
    # An id that names nothing public; a `page` over 1,000,000 (main/security.py) anywhere.
    responses["404"] = {"$ref": "#/components/responses/NotFound"}
    return {"get": {"summary": summary, "parameters": [*parameters, _LANG],
                    "responses": responses}}


def _query(name: str, schema: dict, description: str) -> dict[str, Any]:
    return _parameter(name, "query", schema, description)


def paths() -> dict[str, Any]:
    return {
        "/openapi.json": {"get": {
            "summary": "This document.", "parameters": [_LANG],
            "responses": {"200": {"description": "The OpenAPI document.",
                                  "content": {"application/json": {"schema": {
                                      "type": "object", "required": ["openapi", "paths"]}}}},
                          "304": {"$ref": "#/components/responses/NotModified"},
                          "404": {"$ref": "#/components/responses/NotFound"},
                          "429": {"$ref": "#/components/responses/RateLimited"}}}},
        "/news": _get("Published news, newest first.", "NewsList", [
            *_PAGED, _query("tag", {"type": "string", "maxLength": 30}, "Only this topic."),
            _REGION], listing=True),
        "/news/{id}": _get("A published news post.", "NewsDetailAnswer", [_ID], listing=False),
        "/projects": _get("Projects in a public state, newest first.", "ProjectList", [
            *_PAGED,
            _query("status", {"type": "string", "enum": list(PUBLIC_STATES)}, "Only this state."),
            _query("sector", {"type": "string", "enum": list(INTEREST_SECTORS)},
                   "Only this sector."),
            _REGION], listing=True),
        "/projects/{id}": _get("A project in a public state.", "ProjectDetailAnswer", [_ID],
                               listing=False),
        "/surveys": _get("Surveys open now for everyone (never their answers).", "SurveyList",
                         _PAGED, listing=True),
        "/surveys/{id}": _get("An open survey for everyone.", "SurveyAnswer", [_ID],
                              listing=False),
        "/places": _get("The gazetteer: regions, districts and communities.", "PlaceList", [
            *_PAGED,
            _query("level", {"type": "integer", "enum": [1, 2, 3]}, "Only this level."),
            _query("parent", {"type": "integer", "minimum": 1}, "Only the places in this one."),
        ], listing=True),
        "/places/{id}": _get("A place.", "PlaceAnswer", [_ID], listing=False),
        "/insights": _get("The aggregates on offer.", "AggregateIndex", [], listing=False),
        "/insights/{id}": _get("One aggregate, small cells suppressed.", "AggregateAnswer", [
            _parameter("id", "path", {"type": "string", "enum": list(TABLES)},
                       "The aggregate.")], listing=False),
    }


def document(server: str) -> dict[str, Any]:
    """The document, its server the API's own address as this request reached it."""
    doc_paths = paths()
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Mekendesh open data API",
            "version": VERSION,
            "description": (
                "Read-only open data of Mekendesh: published news, projects in a public "
                "state, open surveys (what they ask about, never answers), the gazetteer "
                "of Kyrgyzstan, and anonymised aggregates. No personal data. Counts of "
                f"1 to {MIN_CELL - 1} read \"{SUPPRESSED}\", and complementary cells are "
                "hidden so totals never reveal them. Errors are JSON with a stable `error` "
                "code and a translated `message`; any method but GET/HEAD/OPTIONS gets 405 "
                "(method_not_allowed). Rate limit: 60 requests a minute per address by default."),
        },
        "servers": [{"url": server}],
        "paths": doc_paths,
        "components": {"schemas": SCHEMAS, "parameters": PARAMETERS, "responses": RESPONSES},
    }
