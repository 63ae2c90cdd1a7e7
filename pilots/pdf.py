"""PDF rendering with WeasyPrint, for the sign-off packets and the portfolio report.

WeasyPrint fetches nothing but our own static files and data: URLs (SafeFetcher): a link
typed by a user must not pull a local file or a remote resource into a document.
"""

import mimetypes

from django.contrib.staticfiles import finders

# Our pages name static files by absolute URL under this made-up origin, which the
# fetcher maps to files on disk. Nothing is ever fetched from the network.
PDF_ORIGIN = "https://ninety.invalid/"
_weasyprint = None


def _weasy():
    """Import WeasyPrint once per process (the import alone takes about a second)."""
    global _weasyprint
    if _weasyprint is None:
        import weasyprint

        _weasyprint = weasyprint
    return _weasyprint


def safe_fetcher():
    weasyprint = _weasy()

    class SafeFetcher(weasyprint.urls.URLFetcher):
        """Serve our static files from disk and decode data: URLs; refuse everything else
        (file://, http(s)://, redirects): a crafted link must not pull a local file or a
        remote resource into a document."""

        def __init__(self):
            super().__init__(allowed_protocols={"data"}, allow_redirects=False)

        def fetch(self, url, headers=None):
            static_prefix = f"{PDF_ORIGIN}static/"
            if url.startswith(static_prefix):
                path = finders.find(url.removeprefix(static_prefix).split("?")[0])
                if not path:
                    raise ValueError(f"no such static file: {url}")
                with open(path, "rb") as handle:
                    body = handle.read()
                mime = mimetypes.guess_type(path)[0] or "application/octet-stream"
                return weasyprint.urls.URLFetcherResponse(url, body, {"Content-Type": mime})
            if url.startswith("data:"):
                return super().fetch(url, headers)
            raise ValueError(f"refused to fetch {url[:80]}")

    return SafeFetcher()


def html_to_pdf(html: str) -> bytes:
    weasyprint = _weasy()
    return weasyprint.HTML(string=html, base_url=PDF_ORIGIN, url_fetcher=safe_fetcher()).write_pdf()
