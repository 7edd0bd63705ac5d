"""A FastAPI app declaring some of our endpoints with our own request models, used as the oracle
for 422s.

The original service is FastAPI; a client sees its error bodies. For the same raw request, this
app and ours must answer byte-for-byte the same `detail`. The bodies are our request models
(sartiq/api/requests.py), the query parameters our filter sets' and paginator's declarations: what
the oracle tells is only what FastAPI adds (which errors are reported together, in which order,
path before query before body) and that authentication comes before all of it (the reference's
OAuth2 bearer scheme: a request without a token is a 401 whatever else is wrong).
"""
from __future__ import annotations

import inspect
import uuid
from typing import Annotated, Optional

from fastapi import Depends, FastAPI, Query
from fastapi.security import OAuth2PasswordBearer, OAuth2PasswordRequestForm
from fastapi.testclient import TestClient

from sartiq.api.pagination import DEFAULT_LIMIT, LIMIT, SKIP
from sartiq.catalog.api.requests import ProductCreate, ProductUpdate, ResolutionPresetCreate, SubjectCreate
from shootings.product_filters import ProductFilterSet

OrganizationId = Optional[uuid.UUID]


def list_parameters(filterset) -> list[inspect.Parameter]:
    """FastAPI query parameters of a list endpoint: `skip`, `limit`, `organization_id` and the
    filter set's declared parameters (repeated keys for a `many` filter)."""
    params = [
        inspect.Parameter("skip", inspect.Parameter.KEYWORD_ONLY, default=0, annotation=Annotated[SKIP, Query()]),
        inspect.Parameter("limit", inspect.Parameter.KEYWORD_ONLY, default=DEFAULT_LIMIT,
                          annotation=Annotated[LIMIT, Query()]),
        inspect.Parameter("organization_id", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=OrganizationId),
    ]
    for name, declared in filterset.base_filters.items():
        annotation = declared.extra["annotation"]
        annotation = Annotated[Optional[list[annotation]], Query()] if declared.many else Optional[annotation]
        params.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation))
    return params


def with_parameters(params: list[inspect.Parameter]):
    def endpoint(**kwargs):
        return {}

    endpoint.__signature__ = inspect.Signature(params)
    return endpoint


# Every endpoint needs a bearer token, as the reference's do (the oracle does not check it).
app = FastAPI(dependencies=[Depends(OAuth2PasswordBearer(tokenUrl="/api/v1/login/access-token"))])


@app.post("/api/v1/products/")
def create_product(body: ProductCreate, organization_id: OrganizationId = None):
    return {}


@app.put("/api/v1/products/{product_id}")
def update_product(product_id: uuid.UUID, body: ProductUpdate, organization_id: OrganizationId = None):
    return {}


app.get("/api/v1/products/")(with_parameters(list_parameters(ProductFilterSet)))


@app.get("/api/v1/products/{product_id}")
def read_product(product_id: uuid.UUID, organization_id: OrganizationId = None):
    return {}


@app.post("/api/v1/subjects/")
def create_subject(body: SubjectCreate):
    return {}


@app.post("/api/v1/resolution-presets/")
def create_resolution(body: ResolutionPresetCreate):
    return {}


# The login, as the original declares it (no token; the form is python-multipart's to read).
login_app = FastAPI()


@login_app.post("/api/v1/login/access-token")
def login_access_token(form_data: Annotated[OAuth2PasswordRequestForm, Depends()]):
    return {}


client = TestClient(app)
login_client = TestClient(login_app)


def oracle(method: str, url: str, *, authenticated: bool = True, **kwargs):
    """FastAPI's answer to the request (with a bearer token unless `authenticated=False`)."""
    if authenticated:
        kwargs["headers"] = {"authorization": "Bearer oracle", **kwargs.get("headers", {})}
    if url.startswith("/api/v1/login/"):
        return login_client.request(method, url, **kwargs)
    return client.request(method, url, **kwargs)
