"""Sign-in endpoints of the contract, plus refresh, logout and password change."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from adda_dashboard.http.deps import ContainerDep, CurrentActor, JsonBody
from adda_dashboard.http.responses import OrjsonResponse

router = APIRouter(prefix="/api/auth", tags=["auth"])


@router.post("/login")
def login(request: Request, container: ContainerDep, body: JsonBody) -> Any:
    client_ip = request.client.host if request.client else None
    return OrjsonResponse(container.auth.login(body, client_ip=client_ip))


@router.options("/login", include_in_schema=False)
def login_options() -> Response:
    return Response(status_code=204)


@router.post("/signup", status_code=201)
def signup(container: ContainerDep, body: JsonBody) -> Any:
    return OrjsonResponse(container.auth.signup(body), status_code=201)


@router.post("/refresh")
def refresh(container: ContainerDep, body: JsonBody) -> Any:
    return OrjsonResponse(container.auth.refresh(body))


@router.post("/logout")
def logout(actor: CurrentActor, container: ContainerDep) -> Any:
    return container.auth.logout(actor)


@router.post("/change-password")
def change_password(actor: CurrentActor, container: ContainerDep, body: JsonBody) -> Any:
    return OrjsonResponse(container.auth.change_password(actor, body))


@router.get("/verify")
def verify(actor: CurrentActor, container: ContainerDep) -> Any:
    return container.auth.verify(actor)


@router.get("/me")
def me(actor: CurrentActor, container: ContainerDep) -> Any:
    return container.auth.me(actor)


@router.get("/allowed-domains")
def allowed_domains(container: ContainerDep) -> Any:
    return container.auth.allowed_domains(container.settings.google_client_id)


@router.post("/google-login")
def google_login(container: ContainerDep, body: JsonBody) -> Any:
    return OrjsonResponse(container.google_login.login(body))


@router.get("/google-verify")
def google_verify(actor: CurrentActor, container: ContainerDep) -> Any:
    return container.google_login.verify(actor)
