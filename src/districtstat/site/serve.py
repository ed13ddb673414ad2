"""Serve the published site on this machine.

Opened from disk (`file://`), a page cannot fetch `versions.json` or `search.json`, so the release switcher
and search stay empty; over HTTP they work as they will on the real web server. The server listens on
127.0.0.1 only: it is for looking at a build, not for publishing one.
"""

from __future__ import annotations

import functools
import sys
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from districtstat.config import UsageError
from districtstat.site.versions import published_releases

HOST = "127.0.0.1"
DEFAULT_PORT = 8000


class QuietHandler(SimpleHTTPRequestHandler):
    """Serves files without a log line per request, which would bury the one line that matters: the URL."""

    def log_message(self, format: str, *args: object) -> None:
        pass


class SiteServer(ThreadingHTTPServer):
    """A threading server that stays quiet when a reader closes a page before it has finished loading."""

    def handle_error(self, request, client_address) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


def site_server(site_dir: Path, port: int = DEFAULT_PORT, handler: type[SimpleHTTPRequestHandler] = QuietHandler) -> ThreadingHTTPServer:
    """A server for `site_dir` on 127.0.0.1, bound but not yet serving; port 0 takes any free port."""
    try:
        return SiteServer((HOST, port), functools.partial(handler, directory=str(site_dir)))
    except OSError as error:
        raise UsageError(f"cannot listen on {HOST}:{port} ({error.strerror or error}); choose another port with --port (0 takes any free one)") from None


def site_url(server: ThreadingHTTPServer) -> str:
    """The address a browser opens: the site root, whose index.html leads to the latest release."""
    host, port = server.server_address[:2]
    return f"http://{host}:{port}/"


def serve_site(site_dir: Path, port: int = DEFAULT_PORT, shown: str | None = None) -> ThreadingHTTPServer:
    """The server for a site with at least one release; a clear error when nothing has been built yet."""
    if not published_releases(site_dir):
        raise UsageError(f"{shown or site_dir.as_posix()}/ has no published release yet: run `districtstat build` first")
    return site_server(site_dir, port)
