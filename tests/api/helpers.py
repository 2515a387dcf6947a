"""Reading the OpenAPI document: every path with its ids filled in, and the schema of an
answer, so tests validate what the API says against what the document promises."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from flask.testing import FlaskClient
from jsonschema import Draft202012Validator

from tests.api.conftest import OpenData

API = "/api/v1"


def document(client: FlaskClient) -> dict[str, Any]:
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def resolve(doc: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """`node`, or what its local $ref points to."""
    while "$ref" in node:
        target: Any = doc
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def check(doc: dict[str, Any], path: str, status: int, body: Any) -> None:
    """Fail unless `body` fits the schema the document gives `path`'s GET for `status`."""
    operation = doc["paths"][path]["get"]
    assert str(status) in operation["responses"], f"{path}: {status} is not documented"
    response = resolve(doc, operation["responses"][str(status)])
    schema = response["content"]["application/json"]["schema"]
    # The document's components at the root, so its "#/components/..." refs resolve.
    validator = Draft202012Validator({**schema, "components": doc["components"]})
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.path))
    assert not errors, f"{path} {status}: " + "; ".join(
        f"{list(e.path)}: {e.message}" for e in errors[:5])


def ids_for(path: str, world: OpenData, doc: dict[str, Any]) -> list[str]:
    """The values of `path`'s {id} that name something real."""
    if path == "/news/{id}":
        return [str(world.post.id)]
    if path == "/projects/{id}":
        return [str(world.project.id), str(world.authority_project.id)]
    if path == "/surveys/{id}":
        return [str(world.survey.id)]
    if path == "/places/{id}":
        return [str(world.place.id), str(world.place.region_id)]
    if path == "/insights/{id}":
        parameter = doc["paths"][path]["get"]["parameters"][0]
        return list(parameter["schema"]["enum"])
    raise AssertionError(f"the tests do not know the ids of {path}")


def every_request(doc: dict[str, Any], world: OpenData) -> Iterator[tuple[str, str]]:
    """(documented path, URL) for every path, every real id, and every documented query
    parameter set to a value its schema allows."""
    for path, item in doc["paths"].items():
        urls = ([API + path.replace("{id}", value) for value in ids_for(path, world, doc)]
                if "{id}" in path else [API + path])
        for url in urls:
            yield path, url
            for parameter in item["get"].get("parameters", []):
                parameter = resolve(doc, parameter)
                if parameter["in"] != "query":
                    continue
                schema = parameter["schema"]
                values = schema.get("enum") or [schema.get("default", _example(parameter, world))]
                for value in values:
                    yield path, f"{url}?{parameter['name']}={value}"


def _example(parameter: dict[str, Any], world: OpenData) -> Any:
    region = str(world.place.region_id)
    return {"region": region, "tag": "roads", "parent": region}.get(parameter["name"], "1")


def url_rule_to_path(rule: str) -> str:
    """"/api/v1/news/<int:post_id>" -> "/news/{id}"."""
    return re.sub(r"<(?:[a-z]+:)?[a-z_]+>", "{id}", rule.removeprefix(API))
