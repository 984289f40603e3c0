"""The retention desk's console: a read-only page over the API (`agents.api`), served by
`churnwatch console` on its own, or by a worker on its web port when `CHURNWATCH_CONSOLE=1`.

One HTML page (`agents/static/console.html`) renders the at-risk list, a customer and a
channel's desk from the API's JSON, in English or Chinese, and fetches its view again every
few seconds. Access follows the API's rule: with `CHURNWATCH_API_TOKEN` set, a login form
puts the token in an HTTP-only cookie that the API accepts in place of the bearer header.
Nothing on it can change state, and the store it reads holds no phone number.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import orjson
from aiohttp import web

from agents.api import RiskApi, authorised
from config.policy import CHANNELS, LEVELS, REASON_CATEGORIES, Policy
from config.settings import Settings

BASE = "/console"
COOKIE = "churnwatch_token"
REFRESH_MS = 5000
STAGES = ("acquisition", "growth", "maturity", "decline", "departure")
TIERS = ("standard", "silver", "gold", "platinum")


def page(settings: Settings, policy: Policy, wrong_token: bool = False) -> str:
    meta = {
        "base": BASE, "locale": policy.locale, "timezone": settings.timezone,
        "channels": list(CHANNELS), "levels": list(LEVELS), "stages": list(STAGES),
        "tiers": list(TIERS), "categories": list(REASON_CATEGORIES),
        "refresh_ms": REFRESH_MS, "wrong_token": wrong_token,
    }  # fmt: skip
    # Inside <script>: "</" must not close it, whatever a setting holds.
    text = orjson.dumps(meta).decode().replace("</", "<\\/")
    return _template().replace("__META__", text)


def _template() -> str:
    return resources.files("agents").joinpath("static/console.html").read_text("utf-8")


def add_routes(
    router: web.UrlDispatcher, api: RiskApi, settings: Settings, policy: Policy, console: bool
) -> None:
    """The API's `/customers` and `/desk` routes, and the console's pages when `console`."""
    token = settings.api_token

    def allowed(request: web.Request) -> bool:
        return authorised(token, request.headers.get("Authorization"), request.cookies.get(COOKIE))

    def answer(status: int, body: dict[str, Any]) -> web.Response:
        return web.Response(
            body=orjson.dumps(body), status=status, content_type="application/json",
            headers={"Cache-Control": "no-store"},
        )  # fmt: skip

    unauthorised = {"error": "unauthorised"}

    async def at_risk(request: web.Request) -> web.Response:
        # Authorisation before any lookup: a 401 says nothing about what the store holds.
        if not allowed(request):
            return answer(401, unauthorised)
        query = request.query
        status, body = await api.at_risk(
            query.get("level"), query.get("limit"), query, query.get("lang")
        )
        return answer(status, body)

    async def customer_risk(request: web.Request) -> web.Response:
        if not allowed(request):
            return answer(401, unauthorised)
        customer = request.match_info["customer_id"]
        return answer(*await api.customer_risk(customer, request.query.get("lang")))

    async def desk(request: web.Request) -> web.Response:
        if not allowed(request):
            return answer(401, unauthorised)
        channel = request.match_info["channel"]
        return answer(*await api.desk(channel, request.query.get("lang")))

    router.add_get("/customers/at-risk", at_risk)
    router.add_get("/customers/{customer_id}/risk", customer_risk)
    router.add_get("/desk/{channel}", desk)
    if not console:
        return

    async def console_page(request: web.Request) -> web.Response:
        return _html(page(settings, policy))

    async def login(request: web.Request) -> web.Response:
        form = await request.post()
        given = str(form.get("token", ""))
        if token is not None and not authorised(token, None, given):
            return _html(page(settings, policy, wrong_token=True), status=401)
        response = web.HTTPSeeOther(BASE)
        response.set_cookie(
            COOKIE, given, httponly=True, samesite="Strict", path="/",
            secure=request.secure,
        )  # fmt: skip
        return response

    router.add_get(BASE, console_page)
    router.add_post(f"{BASE}/login", login)


def _html(text: str, status: int = 200) -> web.Response:
    return web.Response(
        text=text, status=status, content_type="text/html", charset="utf-8",
        headers={
            "Cache-Control": "no-store",
            # The page runs only its own inline script and talks only to its own origin.
            "Content-Security-Policy": "default-src 'none'; script-src 'unsafe-inline'; "
            "style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; "
            "form-action 'self'; frame-ancestors 'none'",
            "X-Content-Type-Options": "nosniff",
        },
    )  # fmt: skip


def console_app(settings: Settings, policy: Policy) -> web.Application:
    """`churnwatch console`: the console and the API behind it, on their own, from Redis."""
    from agents.redis_sink import redis_client

    client = redis_client(settings.redis_url, timeout_s=1.0)
    app = web.Application()
    add_routes(app.router, RiskApi(client, settings.redis_prefix, policy), settings, policy, True)

    async def close(_: web.Application) -> None:
        await client.aclose()

    app.on_cleanup.append(close)
    return app
