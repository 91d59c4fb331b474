#!/usr/bin/env python3
"""A tiny OAuth2 / OpenID Connect issuer for the tests: client credentials only.

It serves the discovery document (/.well-known/openid-configuration) and a token endpoint
(POST /oauth/token, grant_type=client_credentials, the client's id and secret in the form
body or as HTTP Basic). The access tokens are HS256 JWTs signed with a token-mode Pulsar
broker's secret key (raw bytes, as `tokenSecretKey=file://...` reads it), so the broker
accepts them: their "sub" is the client's role.

    oauth2_issuer.py --key SECRET.KEY --client ID:SECRET:ROLE [--client ...]
                     [--audience AUD] [--jwt-ttl S] [--expires-in S] [--port P]

--audience: a request with another (or no) audience is refused (invalid_request).
--jwt-ttl: the "exp" of the tokens (seconds from now); --expires-in: what the answer's
"expires_in" says (defaults to --jwt-ttl; a larger value makes clients keep a token the
broker refuses, to test the refresh after a 401). The first line on stdout is
"listening on http://127.0.0.1:PORT"; every token request is then logged as one JSON line
(client_id, audience, scope, outcome; never the secret). Standard library only.
"""

import argparse
import base64
import hashlib
import hmac
import json
import sys
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt_hs256(key: bytes, claims: dict) -> str:
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64url(json.dumps(claims, separators=(",", ":")).encode())
    sig = hmac.new(key, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64url(sig)}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--key", required=True, help="the broker's HS256 secret key file (raw bytes)")
    ap.add_argument("--client", action="append", default=[], help="ID:SECRET:ROLE")
    ap.add_argument("--audience")
    ap.add_argument("--jwt-ttl", type=int, default=3600)
    ap.add_argument("--expires-in", type=int)
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()
    key = open(args.key, "rb").read()
    clients = {}
    for c in args.client:
        cid, secret, role = c.split(":", 2)
        clients[cid] = (secret, role)
    expires_in = args.expires_in if args.expires_in is not None else args.jwt_ttl

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, fmt, *a):  # quiet: only our JSON lines
            pass

        def reply(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

        def base(self) -> str:
            return f"http://127.0.0.1:{self.server.server_address[1]}"

        def do_GET(self):
            if self.path.rstrip("/") == "/.well-known/openid-configuration":
                b = self.base()
                self.reply(200, {
                    "issuer": b + "/",
                    "token_endpoint": b + "/oauth/token",
                    "jwks_uri": b + "/.well-known/jwks.json",
                    "authorization_endpoint": b + "/authorize",
                    "grant_types_supported": ["client_credentials"],
                    "response_types_supported": ["token"],
                    "subject_types_supported": ["public"],
                    "id_token_signing_alg_values_supported": ["HS256"],
                    "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
                })
            elif self.path == "/.well-known/jwks.json":
                self.reply(200, {"keys": []})
            else:
                self.reply(404, {"error": "not_found"})

        def do_POST(self):
            if self.path != "/oauth/token":
                self.reply(404, {"error": "not_found"})
                return
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in urllib.parse.parse_qs(self.rfile.read(length).decode()).items()}
            cid, secret = form.get("client_id"), form.get("client_secret")
            auth = self.headers.get("Authorization", "")
            if auth.startswith("Basic "):
                user, _, pw = base64.b64decode(auth[6:]).decode().partition(":")
                cid, secret = urllib.parse.unquote_plus(user), urllib.parse.unquote_plus(pw)
            audience, scope = form.get("audience"), form.get("scope")

            def log(outcome: str) -> None:
                print(json.dumps({"client_id": cid, "audience": audience, "scope": scope,
                                  "grant_type": form.get("grant_type"), "outcome": outcome}), flush=True)

            if form.get("grant_type") != "client_credentials":
                log("unsupported_grant_type")
                self.reply(400, {"error": "unsupported_grant_type"})
            elif cid not in clients or clients[cid][0] != secret:
                log("invalid_client")
                self.reply(401, {"error": "invalid_client", "error_description": "unknown client or wrong secret"})
            elif args.audience is not None and audience != args.audience:
                log("invalid_audience")
                self.reply(400, {"error": "invalid_request", "error_description": f"audience must be {args.audience}"})
            else:
                now = int(time.time())
                claims = {"sub": clients[cid][1], "iat": now, "exp": now + args.jwt_ttl, "iss": self.base() + "/"}
                if audience:
                    claims["aud"] = audience
                log("ok")
                self.reply(200, {"access_token": jwt_hs256(key, claims), "token_type": "Bearer",
                                 "expires_in": expires_in, "scope": scope or ""})

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print(f"listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    sys.exit(0)


if __name__ == "__main__":
    main()
