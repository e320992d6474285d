"""The admin listener's HTTP face (twisted.web), apart from the SOAP listener.

Open to anyone who can reach it (loopback by default): ``GET /metrics``, ``/health``, ``/ready``.
Bearer token (``pfbus admin``): ``GET /api/state``, ``POST /api/controls``.
Console (session cookie, CSRF token on every POST): ``/login``, ``/``, ``/log``,
``/trace/ID``, ``/queues``, ``/dlq/ID``, ``/controls``, ``/conformance``.
Every answer is ours — never a framework's error page.
"""

from __future__ import annotations

import json
import tempfile
import time
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from urllib.parse import unquote

from twisted.internet import defer
from twisted.python import log as twisted_log
from twisted.web import resource, server

from ..hub.tls import certificate_identity
from ..store.hop_search import HopQuery
from .console import layout, log_pages, ops_pages, static
from .controls import Action, Change
from .service import ActionError, AdminService, DeadLetterAction
from .sessions import Principal, Sessions, csrf_ok, same_origin

COOKIE = b"pfbus_session"
MAX_BODY = 32 * 1024 * 1024  # a conformance report with its evidence
PAGE = 50
SECURITY_HEADERS = {
    b"content-security-policy": b"default-src 'none'; script-src 'self'; style-src 'self'; "
                                b"img-src 'self'; form-action 'self'; frame-ancestors 'none'; "
                                b"base-uri 'none'",
    b"x-content-type-options": b"nosniff", b"x-frame-options": b"DENY",
    b"referrer-policy": b"same-origin", b"cache-control": b"no-store"}


class _Answer(Exception):
    """Stop handling and send this answer."""

    def __init__(self, status: int, body: bytes, content_type: bytes = b"text/html; "
                 b"charset=utf-8", headers: dict | None = None):
        self.status, self.body, self.content_type = status, body, content_type
        self.headers = headers or {}


class AdminRequest(server.Request):
    def gotLength(self, length):
        if length is not None and length > MAX_BODY:
            self.setResponseCode(413)
            assert self.channel.transport is not None  # a request arrives on a connection
            self.channel.transport.write(b"HTTP/1.1 413 Content Too Large\r\nContent-Length: 0"
                                         b"\r\nConnection: close\r\n\r\n")
            self.channel.loseConnection()
            return
        super().gotLength(length)


class AdminSite(server.Site):
    requestFactory = AdminRequest

    def __init__(self, root, **kwargs):
        super().__init__(root, timeout=60, **kwargs)
        self.displayTracebacks = False


class AdminResource(resource.Resource):
    isLeaf = True

    def __init__(self, admin: AdminService, sessions: Sessions, secure: bool, clock=time.time):
        super().__init__()
        self.admin = admin
        self.sessions = sessions
        self.secure = secure  # cookies marked Secure over TLS
        self.clock = clock

    def render(self, request: server.Request):
        d = defer.Deferred.fromCoroutine(self._handle(request))
        d.addErrback(self._failed, request)
        return server.NOT_DONE_YET

    # -- plumbing ------------------------------------------------------------------------

    def _send(self, request, status: int, body: bytes, content_type: bytes,
              headers: dict | None = None) -> None:
        if request.finished or request._disconnected:
            return
        request.setResponseCode(status)
        request.setHeader(b"content-type", content_type)
        for k, v in {**SECURITY_HEADERS, **(headers or {})}.items():
            request.setHeader(k, v)
        request.write(body)
        request.finish()

    def _failed(self, failure, request) -> None:
        if failure.check(_Answer):
            a = failure.value
            return self._send(request, a.status, a.body, a.content_type, a.headers)
        twisted_log.err(failure, "admin request failed")
        self._send(request, 500, b'{"error": "internal error; see the hub\'s log"}\n',
                   b"application/json")

    @staticmethod
    def _json(status: int, doc) -> _Answer:
        return _Answer(status, (json.dumps(doc, ensure_ascii=False, indent=1) + "\n").encode(),
                       b"application/json; charset=utf-8")

    def _html(self, title: str, body: str, session=None, **kw) -> _Answer:
        p = session.principal if session else None
        return _Answer(kw.pop("status", 200), layout.page(
            title, body, who=p.name if p else None, role=p.role if p else None,
            csrf=session.csrf if session else None,
            maintenance=self.admin.controls.maintenance, **kw))

    @staticmethod
    def _redirect(location: str, headers: dict | None = None) -> _Answer:
        return _Answer(303, b"", b"text/plain", {b"location": location.encode(),
                                                 **(headers or {})})

    # -- dispatch ------------------------------------------------------------------------

    async def _handle(self, request) -> None:
        path = unquote(request.path.decode("utf-8", "replace"))
        method = request.method.decode("ascii", "replace")
        if method == "GET" and path == "/metrics":
            body, ctype = self.admin.metrics.exposition()
            raise _Answer(200, body, ctype.encode())
        if method == "GET" and path == "/health":
            raise self._json(200, {"status": "alive"})
        if method == "GET" and path == "/ready":
            doc = self.admin.ready()
            raise self._json(200 if doc["ready"] else 503, doc)
        if method == "GET" and path == "/static/console.css":
            raise _Answer(200, static.CSS, b"text/css; charset=utf-8")
        if method == "GET" and path == "/static/console.js":
            raise _Answer(200, static.JS, b"text/javascript; charset=utf-8")
        if path.startswith("/api/"):
            return await self._api(request, method, path)
        if path == "/login":
            return await self._login(request, method)
        session = self._session(request)
        if session is None:
            if method == "GET":
                raise self._redirect("/login")
            raise self._html("Not logged in", "<p>Log in first.</p>", status=401)
        if method == "POST":
            form = self._form(request)
            if not (csrf_ok(session, form.get("csrf")) and same_origin(
                    request.getHeader("origin"), request.getHeader("host"))):
                raise self._html("Refused", "<p>The form is stale or did not come from this "
                                 "console (CSRF check). Reload the page.</p>", session,
                                 status=403)
            return await self._change(request, path, form, session)
        if method != "GET":
            raise self._html("Not allowed", "", session, status=405)
        return await self._page(request, path, session)

    def _session(self, request):
        now = self.clock()
        session = self.sessions.get((request.getCookie(COOKIE) or b"").decode(), now)
        if session is None and self.sessions.client_roles:
            identity = certificate_identity(request.transport)
            principal = self.sessions.authenticate_certificate(identity[1] if identity else None)
            if principal is not None:
                session = self.sessions.open(principal, now)
                self._set_cookie(request, session.id)
        return session

    def _set_cookie(self, request, value: str, expire: bool = False) -> None:
        request.addCookie(COOKIE, value.encode(), path=b"/", httpOnly=True, secure=self.secure,
                          sameSite=b"strict", max_age=b"0" if expire else None)

    @staticmethod
    def _form(request) -> dict[str, str]:
        return {k.decode(): v[0].decode("utf-8", "replace") for k, v in request.args.items()
                if v and isinstance(v[0], bytes)}

    # -- API (pfbus admin) ---------------------------------------------------------------

    def _bearer(self, request) -> Principal | None:
        auth = request.getHeader("authorization") or ""
        if not auth.lower().startswith("bearer "):
            return None
        return self.sessions.authenticate_token(auth[7:].strip())

    async def _api(self, request, method: str, path: str) -> None:
        principal = self._bearer(request)
        if principal is None:
            raise self._json(401, {"error": "a token from [admin] token_file is required "
                                            "(Authorization: Bearer …)"})
        if method == "GET" and path == "/api/state":
            raise self._json(200, {"controls": self.admin.controls.to_json(),
                                   "ready": self.admin.ready()})
        if method == "POST" and path == "/api/controls":
            if not principal.can_change:
                raise self._json(403, {"error": f"{principal.name} is a viewer"})
            try:
                doc = json.loads(request.content.read() or b"{}")
                change = Change(str(doc["action"]), str(doc["target"]), principal.name,
                                str(doc.get("reason", "")))
            except (ValueError, KeyError, TypeError):
                raise self._json(400, {"error": 'expected {"action", "target", "reason"}'}) \
                    from None
            try:
                new = await self.admin.change(change)
            except ActionError as exc:
                raise self._json(409, {"error": str(exc)}) from None
            raise self._json(200, {"controls": new.to_json()})
        raise self._json(404, {"error": f"no {method} {path}"})

    # -- console -------------------------------------------------------------------------

    async def _login(self, request, method: str) -> None:
        mtls = bool(self.sessions.client_roles)
        if method == "GET":
            if self._session(request) is not None:
                raise self._redirect("/")
            raise self._html("Log in", ops_pages.login_page(None, mtls))
        if method != "POST" or not same_origin(request.getHeader("origin"),
                                               request.getHeader("host")):
            raise self._html("Log in", ops_pages.login_page("Refused.", mtls), status=403)
        principal = self.sessions.authenticate_token(self._form(request).get("token", ""))
        if principal is None:
            raise self._html("Log in", ops_pages.login_page("Unknown token.", mtls),
                             status=401)
        session = self.sessions.open(principal, self.clock())
        self._set_cookie(request, session.id)
        raise self._redirect("/")

    async def _page(self, request, path: str, session) -> None:
        admin = self.admin
        args = {k.decode(): v[0].decode("utf-8", "replace") for k, v in request.args.items()
                if v}
        if path == "/":
            ready = admin.ready()
            svg = ops_pages.route_map_svg(admin.hub.config, ready["providers"],
                                          admin.controls.paused_subscribers)
            body = ops_pages.dashboard(admin.traffic.series(self.clock()), admin.queues(),
                                       ready, svg, session.csrf,
                                       session.principal.can_change,
                                       admin.controls.maintenance)
            raise self._html("Dashboard", body, session, refresh=30)
        if path == "/log":
            return await self._search(args, session)
        if path.startswith("/trace/"):
            exchange_id = path[len("/trace/"):]
            hops, related = await admin.trace(exchange_id)
            raise self._html(f"Exchange {exchange_id[:8]}", log_pages.trace_page(
                exchange_id, hops, related), session)
        if path == "/queues":
            letters = await admin.dead_letters() if admin.hub.delivery else []
            body = ops_pages.queues_page(admin.queues(), admin.controls.paused_subscribers,
                                         sorted(admin.routes), admin.controls.paused_routes,
                                         letters, session.csrf, session.principal.can_change)
            raise self._html("Queues & dead letters", body, session)
        if path.startswith("/dlq/") and path[5:].isdigit():
            letter = await admin.dead_letter(int(path[5:])) if admin.hub.delivery else None
            if letter is None:
                raise self._html("Dead letter", "<p class='empty'>No such dead letter.</p>",
                                 session, status=404)
            raise self._html(f"Dead letter {letter.delivery_id}", ops_pages.dead_letter_page(
                letter, admin.masked(letter.payload or b""), False, session.csrf,
                session.principal.can_change), session)
        if path == "/conformance":
            raise self._html("Conformance report", ops_pages.conformance_page(session.csrf,
                                                                              None), session)
        raise self._html("Not found", "<p>No such page.</p>", session, status=404)

    async def _search(self, args: dict, session) -> None:
        values = {k: v for k, v in args.items() if v and k != "before"}
        try:
            query = HopQuery(message_id=args.get("message") or None,
                             exchange_id=args.get("exchange") or None,
                             service_id=args.get("service") or None,
                             local_gov_code=args.get("code") or None,
                             sender=args.get("sender") or None,
                             status=args.get("status") or None,
                             fault_code=args.get("fault") or None,
                             since=log_pages.jst_to_utc(args.get("since")),
                             until=log_pages.jst_to_utc(args.get("until")),
                             before_id=int(args["before"]) if args.get("before") else None)
        except ValueError as exc:
            raise self._html("Routing log", log_pages.search_form(
                values, sorted(self.admin.hub.catalog.services)) +
                f"<p class='error'>{layout.e(exc)}</p>", session, status=400) from None
        rows = await self.admin.search(query, PAGE)
        raise self._html("Routing log", log_pages.search_form(
            values, sorted(self.admin.hub.catalog.services)) + log_pages.search_results(
            rows, values, PAGE), session)

    async def _change(self, request, path: str, form: dict, session) -> None:
        principal = session.principal
        if path == "/logout":
            self.sessions.close(session.id)
            self._set_cookie(request, "", expire=True)
            raise self._redirect("/login")
        if path == "/conformance":
            result = await self._verify_upload(request, form)
            raise self._html("Conformance report", ops_pages.conformance_page(session.csrf,
                                                                              result), session)
        if not principal.can_change:
            raise self._html("Refused", f"<p>{layout.e(principal.name)} has the viewer role: "
                             f"no changes.</p>", session, status=403)
        try:
            if path == "/controls":
                await self.admin.change(Change(form.get("action", ""), form.get("target", ""),
                                               principal.name, form.get("reason", "")))
                back = "/" if form.get("action") == Action.MAINTENANCE else "/queues"
                raise self._redirect(back)
            parts = path.strip("/").split("/")
            if len(parts) == 3 and parts[0] == "dlq" and parts[1].isdigit() and parts[2] in (
                    list(DeadLetterAction)):
                action = DeadLetterAction(parts[2])
                done = await self.admin.dead_letter_action(action, int(parts[1]),
                                                           principal.name, form.get("reason"))
                if action is DeadLetterAction.REVEAL:
                    letter = await self.admin.dead_letter(int(parts[1]))
                    raise self._html(f"Dead letter {parts[1]}", ops_pages.dead_letter_page(
                        letter, done, True, session.csrf, True), session)
                raise self._html("Queues & dead letters", "<p>" + layout.e(done) +
                                 " — " + layout.link("/queues", "back to the queues") + "</p>",
                                 session, notice=done)
        except ActionError as exc:
            raise self._html("Not done", f"<p class='error' id='action-error'>"
                             f"{layout.e(exc)}</p>", session, status=409) from None
        raise self._html("Not found", "<p>No such action.</p>", session, status=404)

    async def _verify_upload(self, request, form: dict) -> dict:
        from conformance.report.digest import verify

        ctype = request.getHeader("content-type") or ""
        request.content.seek(0)
        raw = request.content.read()
        message = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + raw)
        files, digest = {}, form.get("digest") or None
        for part in message.iter_parts() if message.is_multipart() else ():
            name = part.get_filename()
            payload = part.get_payload(decode=True)  # bytes: a part of a multipart body
            data = payload if isinstance(payload, bytes) else b""
            if name and part.get_param("name", header="content-disposition") == "files":
                files[Path(name).name] = data
            elif part.get_param("name", header="content-disposition") == "digest":
                digest = data.decode().strip() or None
        with tempfile.TemporaryDirectory(prefix="pfbus-report-") as tmp:
            for name, data in files.items():
                (Path(tmp) / name).write_bytes(data)
            found, problems = verify(Path(tmp), digest)
        try:
            doc = json.loads(files.get("report.json", b"{}"))
        except ValueError:
            doc = {}
        if not files:
            problems = ["no files were uploaded"]
        return {"digest": found or "(none)", "problems": problems,
                "doc": doc if isinstance(doc, dict) else {}}


def make_site(admin: AdminService, sessions: Sessions, secure: bool) -> AdminSite:
    return AdminSite(AdminResource(admin, sessions, secure))

