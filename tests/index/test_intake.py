"""Adding sources by URL and removing them, against a local HTTP server on 127.0.0.1 that
serves saved pages (tests/data/pages), PDFs made in the test, and failures of every kind."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
import yaml

from index.errors import SourceError, UsageError
from index.ingest.intake import TRASH_DIR, add_url, remove_source
from index.ingest.loaders import load_document
from index.service import KnowledgeBase
from index.settings import Settings
from index.store.catalog import Catalog
from tests.pdf_maker import make_pdf

ROOT = Path(__file__).resolve().parents[2]
PAGES = ROOT / "tests" / "data" / "pages"

# Page furniture of social-care-cap.html that must never reach the saved article.
FURNITURE = (
    "ACCEPT ALL COOKIES",
    "Subscribe for",
    "car insurance",
    "luxury cruise",
    "Related articles",
    "Celebrity chef",
    "angrytaxpayer77",
    "Typical government",
    "sell her house last year",
    "All rights reserved",
    "Privacy policy",
)

ARTICLE_FILE = "councils-warn-the-social-care-cap-will-arrive-unfunded.md"

PDF_PAGES = [
    "Explanatory memorandum to the National Health Service Regulations 2013.\n"
    "This memorandum explains the purpose of the instrument.",
    "Commissioners must advertise a contract for health care services\n"
    "unless they are satisfied that the services are capable of being\n"
    "provided only by one provider.",
    "The instrument comes into force on 1 April 2013.\n"
    "Monitor will investigate complaints about breaches of these rules.",
]
PDF_BYTES = make_pdf(PDF_PAGES, title="NHS Procurement Regulations 2013: memorandum")


class _Site(BaseHTTPRequestHandler):
    release = threading.Event()  # lets the slow page's handler go at teardown
    hits: ClassVar[list[tuple[str, str]]] = []  # (path, Host header) of every request, in order

    def log_message(self, format: str, *args: object) -> None:  # keep test output clean
        pass

    def _send(self, status: int, body: bytes, content_type: str, **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers.items():
            self.send_header(k.replace("_", "-"), v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        _Site.hits.append((self.path, self.headers.get("Host", "")))
        path = self.path.split("?", 1)[0]
        page = {
            "/2013/07/social-care-cap": ("social-care-cap.html", "text/html; charset=utf-8"),
            "/notes/spare-room": ("spare-room-subsidy-cp1252.html", "text/html"),
            "/politics": ("listing.html", "text/html; charset=utf-8"),
            "/notes/waiting": ("literal-markup.html", "text/html; charset=utf-8"),
        }
        if path in page:
            name, ctype = page[path]
            self._send(200, (PAGES / name).read_bytes(), ctype)
        elif path == "/old-link":
            self._send(301, b"", "text/html", Location="/2013/07/social-care-cap")
        elif path == "/to-tracked":  # a redirect to the article with tracking parameters
            self._send(302, b"", "text/html", Location="/2013/07/social-care-cap/?utm_source=x")
        elif path.startswith("/go/"):  # an open redirect: /go/<anywhere>
            self._send(302, b"", "text/html", Location=self.path[len("/go/") :])
        elif path == "/loop":
            self._send(302, b"", "text/html", Location="/loop")
        elif path == "/papers/memorandum.pdf":
            self._send(200, PDF_BYTES, "application/pdf")
        elif path == "/download":  # a PDF served under a generic type: found by its magic
            self._send(200, PDF_BYTES, "application/octet-stream")
        elif path == "/papers/truncated.pdf":
            self._send(200, PDF_BYTES[:300], "application/pdf")
        elif path == "/data.json":
            self._send(200, b'{"not": "an article"}', "application/json")
        elif path == "/huge":
            self._send(200, b"<p>" + b"x" * 300_000 + b"</p>", "text/html")
        elif path == "/huge-chunked":  # no Content-Length: the limit must hold while reading
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            for _ in range(100):
                self.wfile.write(b"<p>" + b"y" * 10_000 + b"</p>")
        elif path == "/slow":  # never answers; the connection closes at teardown
            _Site.release.wait(60)
        elif path == "/broken":
            self._send(500, b"<h1>Internal Server Error</h1>", "text/html")
        else:
            self._send(404, b"<h1>Not Found</h1>", "text/html")


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    """A web server on 127.0.0.1 (a free port) serving the saved pages; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    _Site.release.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """The test site is on 127.0.0.1: allowed here, as an intranet would be."""
    (tmp_path / "sources").mkdir()
    return Settings(
        sources_dir=tmp_path / "sources",
        data_dir=tmp_path / "data",
        source_fetch_allow_private=True,
    )


@pytest.fixture
def public_only(settings: Settings) -> Settings:
    """The default: only public addresses are fetched."""
    return replace(settings, source_fetch_allow_private=False)


def files_in(folder: Path) -> dict[str, bytes]:
    """Every file under `folder`, hidden ones included, with its bytes."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def front_matter(path: Path) -> dict:
    head = path.read_text(encoding="utf-8").split("---\n")[1]
    return yaml.safe_load(head)


# -- adding web pages ------------------------------------------------------------------
def test_article_is_saved_as_markdown_with_its_metadata_and_without_furniture(
    settings: Settings, site: str
) -> None:
    url = f"{site}/2013/07/social-care-cap"
    result = add_url(settings, url)
    path = settings.sources_dir / result["added"]
    assert result["added"] == "councils-warn-the-social-care-cap-will-arrive-unfunded.md"
    assert front_matter(path) | {"origin": None} == {
        "title": "Councils warn the social care cap will arrive unfunded",
        "author": "Priya Raman",
        "date": "2013-07-18",
        "site": "Policy Review",
        "url": url,
        "origin": None,
    }
    text = path.read_text(encoding="utf-8")
    assert "nobody in England will pay more than £72,000" in text
    assert '"a promise without the funding to keep it is no promise at all"' in text
    assert "protected funding for social care." in text
    for furniture in FURNITURE:
        assert furniture not in text, furniture
    # The loader reads it back as an article cited by its URL.
    doc = load_document(path, settings.sources_dir)
    assert doc.title == "Councils warn the social care cap will arrive unfunded"
    assert doc.source == url
    assert doc.metadata["author"] == "Priya Raman"
    assert not doc.text.startswith("Councils warn")  # the headline isn't repeated as text


def test_a_saved_page_reads_back_with_its_own_asterisks_brackets_and_hashes(
    settings: Settings, site: str
) -> None:
    """A page is saved as Markdown, which is read back without its markup: characters that
    Markdown would take for markup are saved escaped, so the text reads as the page wrote it."""
    result = add_url(settings, f"{site}/notes/waiting")
    doc = load_document(settings.sources_dir / result["added"], settings.sources_dir)
    for said in (
        "its *number one* priority [1]",
        "elective_recovery_2024, which staff shorten to ER_24",
        "# 1 on the list of concerns",
        "> 52 weeks is the waiting time",
    ):
        assert said in doc.text, said


def test_page_encoding_is_honoured_and_no_metadata_is_invented(
    settings: Settings, site: str
) -> None:
    result = add_url(settings, f"{site}/notes/spare-room")
    path = settings.sources_dir / result["added"]
    meta = front_matter(path)
    text = path.read_text(encoding="utf-8")
    assert "its opponents call it the “bedroom tax”" in text  # windows-1252 quotes
    assert "save around £490 million a year" in text
    assert meta["author"] == "Tom Fletcher"
    assert "date" not in meta  # the page states none; "© 2013" is not a date of publication
    assert "site" not in meta  # nor a site name (the host name is not one)
    assert "Top 10 MPs" not in text


def test_a_redirect_is_followed_and_the_given_url_recorded(settings: Settings, site: str) -> None:
    result = add_url(settings, f"{site}/old-link")
    assert result["kind"] == "article"
    assert front_matter(settings.sources_dir / result["added"])["url"] == f"{site}/old-link"


def test_the_same_url_twice_is_refused_and_the_first_copy_kept(
    settings: Settings, site: str
) -> None:
    url = f"{site}/2013/07/social-care-cap"
    add_url(settings, url)
    before = files_in(settings.sources_dir)
    with pytest.raises(UsageError, match="already in the library as councils-warn"):
        add_url(settings, url + "#comments")  # the same page
    assert files_in(settings.sources_dir) == before


@pytest.mark.parametrize(
    "again",
    [
        "{site}/2013/07/social-care-cap/",
        "{site}/2013/07/social-care-cap?utm_source=newsletter&utm_medium=email",
        "{site}/2013/07/social-care-cap?fbclid=IwAR0abc&gclid=xyz",
        "{site}/2013/07/social-care-cap#comments",
        "HTTP://127.1:{port}/2013/07/social-care-cap",  # the same address in another form
        "{site}/to-tracked",  # redirects to the page (tracking parameters and all)
        "{site}/go/{site}/2013/07/social-care-cap",  # an open redirect to the page
    ],
)
def test_the_same_page_under_another_url_is_refused_naming_the_file(
    settings: Settings, site: str, again: str
) -> None:
    add_url(settings, f"{site}/2013/07/social-care-cap")
    before = files_in(settings.sources_dir)
    url = again.format(site=site, port=site.rsplit(":", 1)[1])
    with pytest.raises(UsageError) as caught:
        add_url(settings, url)
    said = str(caught.value)
    assert (
        "already in the library as councils-warn-the-social-care-cap-will-arrive-unfunded.md"
        in said
    )
    assert "\n" not in said
    assert files_in(settings.sources_dir) == before


def test_a_page_added_through_a_redirect_is_known_by_its_final_url_too(
    settings: Settings, site: str
) -> None:
    first = add_url(settings, f"{site}/old-link")
    with pytest.raises(UsageError, match=f"already in the library as {first['added']}"):
        add_url(settings, f"{site}/2013/07/social-care-cap")


def test_urls_of_one_page_share_a_key_and_other_pages_dont() -> None:
    from index.ingest.source_urls import same_page_key

    one = "https://example.org/news/story"
    for same in (
        "http://www.example.org/news/story/",
        "https://EXAMPLE.org:443/news/story?utm_campaign=x#top",
        "http://example.org:80/news/story?mc_cid=1&msclkid=2",
    ):
        assert same_page_key(same) == same_page_key(one), same
    for other in (
        "https://example.org/news/other",
        "https://example.org/news/story?page=2",
        "https://example.org:8443/news/story",
        "https://news.example.org/news/story",
    ):
        assert same_page_key(other) != same_page_key(one), other
    assert same_page_key("https://e.org/a?b=2&a=1") == same_page_key("https://e.org/a?a=1&b=2")


# -- addresses that are not the public internet ----------------------------------------
LOOPBACK_FORMS = [
    "127.0.0.1",
    "localhost",
    "127.1",
    "2130706433",
    "0x7f.1",
    "017700000001",
    "0x7f000001",
    "[::1]",
    "[::ffff:127.0.0.1]",
    "[0:0:0:0:0:ffff:7f00:1]",
]


@pytest.mark.parametrize("host", LOOPBACK_FORMS)
def test_loopback_in_any_form_is_refused_before_connecting(
    public_only: Settings, site: str, host: str
) -> None:
    port = site.rsplit(":", 1)[1]
    hits = len(_Site.hits)
    with pytest.raises(UsageError, match=r"is refused: .*loopback address, not a public one"):
        add_url(public_only, f"http://{host}:{port}/2013/07/social-care-cap")
    assert len(_Site.hits) == hits  # the site never saw a request
    assert files_in(public_only.sources_dir) == {}


@pytest.mark.parametrize("host", ["127.1", "2130706433", "0x7f.1", "017700000001", "localhost"])
def test_with_private_addresses_allowed_every_form_reaches_the_same_site(
    settings: Settings, site: str, host: str
) -> None:
    port = site.rsplit(":", 1)[1]
    result = add_url(settings, f"http://{host}:{port}/2013/07/social-care-cap")
    assert result["title"] == "Councils warn the social care cap will arrive unfunded"
    assert _Site.hits[-1][1] == f"{host}:{port}"  # asked for by the name given


@pytest.mark.parametrize(
    ("host", "kind"),
    [
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("[fd00::1]", "private"),
        ("169.254.169.254", "link-local"),  # cloud metadata: refused even when allowed
        ("[fe80::1]", "link-local"),
        ("224.0.0.1", "multicast"),
        ("[ff02::1]", "multicast"),
        ("0.0.0.0", "unspecified"),  # noqa: S104 (a URL to refuse, not a bind)
        ("[::]", "unspecified"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "non-public"),  # carrier-grade NAT
        ("[::ffff:10.0.0.1]", "private"),
        ("[64:ff9b::a00:1]", "private"),  # NAT64 of 10.0.0.1
        ("[2002:a00:1::]", "private"),  # 6to4 of 10.0.0.1
    ],
)
def test_other_non_public_addresses_are_refused_with_their_kind(
    public_only: Settings, host: str, kind: str
) -> None:
    with pytest.raises(UsageError, match=f"is refused: .* {kind} address, not a public one"):
        add_url(public_only, f"http://{host}/report")
    allowed = replace(public_only, source_fetch_allow_private=True)
    if kind in ("link-local", "multicast", "unspecified", "reserved"):
        with pytest.raises(UsageError, match=f"{kind} address"):
            add_url(allowed, f"http://{host}/report")


def test_a_refused_address_says_the_same_whether_or_not_a_port_is_open(
    public_only: Settings, site: str
) -> None:
    open_port = site.rsplit(":", 1)[1]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = str(s.getsockname()[1])
    said = {}
    for port in (open_port, closed_port):
        with pytest.raises(UsageError) as caught:
            add_url(public_only, f"http://127.0.0.1:{port}/admin")
        said[port] = str(caught.value).replace(port, "PORT")
    assert said[open_port] == said[closed_port]


@pytest.fixture
def site_is_public(monkeypatch: pytest.MonkeyPatch) -> None:
    """Count 127.0.0.1 (the test site) as a public address, and nothing else on this
    machine: as if the site were a public web server."""
    from index.ingest import fetching

    real = fetching.address_kind
    monkeypatch.setattr(
        fetching, "address_kind", lambda ip: None if str(ip) == "127.0.0.1" else real(ip)
    )


@pytest.mark.parametrize(
    ("target", "says"),
    [
        ("http://10.0.0.7/internal", "10.0.0.7 is a private address"),
        ("http://127.0.0.2:{port}/2013/07/social-care-cap", "127.0.0.2 is a loopback address"),
        ("http://[::1]:{port}/2013/07/social-care-cap", "::1 is a loopback address"),
        ("file:///etc/passwd", "not an http(s) URL"),
    ],
)
def test_every_redirect_hop_is_checked_again(
    public_only: Settings, site: str, site_is_public: None, target: str, says: str
) -> None:
    target = target.format(port=site.rsplit(":", 1)[1])
    hits = len(_Site.hits)
    with pytest.raises(UsageError, match=re.escape(says)):
        add_url(public_only, f"{site}/go/{target}")
    assert [h[0] for h in _Site.hits[hits:]] == [f"/go/{target}"]  # the hop wasn't fetched
    assert files_in(public_only.sources_dir) == {}


def test_a_public_redirect_is_followed(
    public_only: Settings, site: str, site_is_public: None
) -> None:
    result = add_url(public_only, f"{site}/old-link")
    assert result["title"] == "Councils warn the social care cap will arrive unfunded"


def test_redirect_loops_are_cut_short(settings: Settings, site: str) -> None:
    with pytest.raises(UsageError, match="redirects more than 5 times"):
        add_url(settings, f"{site}/loop")


def test_a_name_with_one_private_address_among_public_ones_is_refused(
    public_only: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = [("93.184.216.34", 80), ("10.0.0.5", 80)]
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda *a, **k: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", sa) for sa in answers],
    )
    with pytest.raises(
        UsageError, match=r"news\.example resolves to 10\.0\.0\.5, which is a private"
    ):
        add_url(public_only, "http://news.example/story")


def test_the_connection_goes_to_the_address_that_was_checked(
    public_only: Settings, site: str, site_is_public: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: the name resolves to an allowed address when checked and to a private
    one afterwards. The fetch connects to the checked address and never resolves again."""
    real = socket.getaddrinfo
    asked: list[str] = []

    def rebinding(host: str, *args: object, **kwargs: object) -> list:
        if host != "rebind.example":
            return real(host, *args, **kwargs)
        asked.append(host)
        ip = "127.0.0.1" if len(asked) == 1 else "10.0.0.5"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, 0))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    port = site.rsplit(":", 1)[1]
    result = add_url(public_only, f"http://rebind.example:{port}/2013/07/social-care-cap")
    assert result["kind"] == "article"
    assert asked == ["rebind.example"]
    assert _Site.hits[-1] == ("/2013/07/social-care-cap", f"rebind.example:{port}")


def test_an_unknown_host_name_is_one_line(public_only: Settings) -> None:
    with pytest.raises(SourceError, match=r"can't find the server no-such-host\.invalid"):
        add_url(public_only, "http://no-such-host.invalid/story")


def test_a_different_file_with_the_same_name_is_never_overwritten(
    settings: Settings, site: str
) -> None:
    mine = settings.sources_dir / "councils-warn-the-social-care-cap-will-arrive-unfunded.md"
    mine.write_text("# My own notes\n\nA moderator's hand-written summary of the cap.\n")
    result = add_url(settings, f"{site}/2013/07/social-care-cap")
    assert result["added"] == "councils-warn-the-social-care-cap-will-arrive-unfunded-2.md"
    assert mine.read_text().startswith("# My own notes")


@pytest.mark.parametrize(
    ("path", "error", "says"),
    [
        ("/no-such-article", UsageError, "404"),
        ("/broken", SourceError, "500"),
        ("/politics", UsageError, "doesn't look like an article"),
        ("/data.json", UsageError, "application/json, not a web page or a PDF"),
        ("/huge", UsageError, "too large"),
        ("/huge-chunked", UsageError, "too large"),
        ("/papers/truncated.pdf", UsageError, "PDF that can't be used"),
    ],
)
def test_unusable_urls_are_refused_with_the_reason_and_nothing_saved(
    settings: Settings, site: str, path: str, error: type[Exception], says: str
) -> None:
    with pytest.raises(error, match=says) as caught:
        add_url(settings, site + path, max_bytes=200_000)
    assert "\n" not in str(caught.value)
    assert files_in(settings.sources_dir) == {}  # not even a temporary file left


def test_a_url_that_times_out_is_refused_in_time(settings: Settings, site: str) -> None:
    started = time.monotonic()
    with pytest.raises(SourceError, match=r"did not answer within 0\.5 s"):
        add_url(settings, f"{site}/slow", timeout=0.5)
    assert time.monotonic() - started < 10
    assert files_in(settings.sources_dir) == {}


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("file:///etc/passwd", "only http:// and https://"),
        ("ftp://example.org/report.pdf", "only http:// and https://"),
        ("javascript:alert(1)", "only http:// and https://"),
        ("http://", "no host name"),
        ("", "only http:// and https://"),
    ],
)
def test_only_web_urls_are_fetched(settings: Settings, url: str, says: str) -> None:
    with pytest.raises(UsageError, match=says):
        add_url(settings, url)


def test_a_closed_port_says_it_cannot_connect(settings: Settings) -> None:
    with socket.socket() as s:  # a port that nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(SourceError, match=f"can't connect to 127.0.0.1:{port}"):
        add_url(settings, f"http://127.0.0.1:{port}/article")


def test_a_read_only_sources_folder_is_a_clear_error(
    settings: Settings, site: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "link", refuse)  # (tests run as root: chmod wouldn't stop it)
    with pytest.raises(SourceError, match=r"can.t save into the sources folder.*Permission denied"):
        add_url(settings, f"{site}/2013/07/social-care-cap")
    assert files_in(settings.sources_dir) == {}


# -- PDFs ------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/papers/memorandum.pdf", "/download"])
def test_a_pdf_is_saved_as_it_came_with_its_url_beside_it(
    settings: Settings, site: str, path: str
) -> None:
    result = add_url(settings, site + path)
    assert result["kind"] == "pdf"
    assert result["pages"] == 3
    assert result["added"] == "nhs-procurement-regulations-2013-memorandum.pdf"
    saved = settings.sources_dir / result["added"]
    assert saved.read_bytes() == PDF_BYTES
    doc = load_document(saved, settings.sources_dir)
    assert doc.source == site + path
    assert doc.title == "NHS Procurement Regulations 2013: memorandum"


def test_a_pdf_citation_points_at_its_page(
    make_kb: Callable[..., KnowledgeBase], site: str
) -> None:
    kb = make_kb(seed=False)
    url = f"{site}/papers/memorandum.pdf"
    kb.add_url(url)
    report = kb.refresh()
    assert report.added == ["nhs-procurement-regulations-2013-memorandum.pdf"]
    answer = kb.answer_sync("When must commissioners advertise a health care contract?")
    assert not answer.refused, answer.answer
    quote = next(c for c in answer.citations if "advertise a contract" in c.quote)
    assert quote.source == url
    doc = load_document(kb.settings.sources_dir / report.added[0], kb.settings.sources_dir)
    assert doc.page_at(quote.start) == 2  # the index knows the quote is on page 2 …
    assert quote.page is not None


def test_a_pdf_citation_says_the_page_of_the_quote(
    make_kb: Callable[..., KnowledgeBase], site: str
) -> None:
    kb = make_kb(seed=False)
    url = f"{site}/papers/memorandum.pdf"
    kb.add_url(url)
    kb.refresh()
    answer = kb.answer_sync("When must commissioners advertise a health care contract?")
    quote = next(c for c in answer.citations if "advertise a contract" in c.quote)
    assert quote.page == 2  # … and so should the citation the user reads ("p. 2")


# -- removing --------------------------------------------------------------------------
def test_remove_by_url_takes_the_file_out_and_keeps_a_copy(
    make_kb: Callable[..., KnowledgeBase], site: str
) -> None:
    kb = make_kb(seed=False)
    url = f"{site}/2013/07/social-care-cap"
    added = kb.add_url(url)
    kb.add_url(f"{site}/notes/spare-room")
    kb.refresh()
    saved = (kb.settings.sources_dir / added["added"]).read_bytes()
    result = kb.remove_source(url)
    assert result["removed"] == added["added"]
    assert result["title"] == "Councils warn the social care cap will arrive unfunded"
    assert not (kb.settings.sources_dir / added["added"]).exists()
    assert Path(result["kept_copy"]).read_bytes() == saved
    assert TRASH_DIR in result["kept_copy"]
    report = kb.refresh()
    assert report.removed == [added["added"]]
    assert [d.source for d in kb.library().documents] == [f"{site}/notes/spare-room"]


def test_remove_a_pdf_by_url_takes_its_metadata_file_too(settings: Settings, site: str) -> None:
    url = f"{site}/papers/memorandum.pdf"
    add_url(settings, url)
    assert len(files_in(settings.sources_dir)) == 2
    result = remove_source(settings, Catalog(), url)  # not indexed yet: found on disk
    assert result["removed"] == "nhs-procurement-regulations-2013-memorandum.pdf"
    assert files_in(settings.sources_dir) == {}
    trash = files_in(settings.data_dir / TRASH_DIR)
    assert sorted(Path(p).name for p in trash) == [
        "nhs-procurement-regulations-2013-memorandum.pdf",
        "nhs-procurement-regulations-2013-memorandum.pdf.yml",
    ]


def test_remove_by_path_inside_the_sources_folder(settings: Settings) -> None:
    sub = settings.sources_dir / "briefings"
    sub.mkdir()
    (sub / "note.md").write_text("# Note\n\nA short note on the budget.\n")
    result = remove_source(settings, Catalog(), "briefings/note.md")
    assert result["removed"] == "briefings/note.md"
    assert not (sub / "note.md").exists()


@pytest.mark.parametrize(
    ("ref", "says"),
    [
        ("../outside.md", "outside the sources folder"),
        ("briefings/../../outside.md", "outside the sources folder"),
        ("{outside}", "outside the sources folder"),
        ("no-such-file.md", "there is no source 'no-such-file.md' in the library"),
        ("http://127.0.0.1:9/never-added", "no source in the library has the URL"),
        ("briefings", "is a folder"),
        ("paper.pdf.yml", "not a source"),
        ("", "say which source"),
    ],
)
def test_remove_refuses_what_is_not_a_source_in_the_folder(
    settings: Settings, ref: str, says: str
) -> None:
    outside = settings.sources_dir.parent / "outside.md"
    outside.write_text("# Outside\n\nNot part of the library.\n")
    (settings.sources_dir / "briefings").mkdir()
    (settings.sources_dir / "paper.pdf").write_bytes(PDF_BYTES)
    (settings.sources_dir / "paper.pdf.yml").write_text("url: http://127.0.0.1:9/paper.pdf\n")
    before = files_in(settings.sources_dir.parent)
    with pytest.raises(UsageError, match=says):
        remove_source(settings, Catalog(), ref.format(outside=outside))
    assert files_in(settings.sources_dir.parent) == before


def test_a_symlink_out_of_the_folder_is_removed_as_a_link_only(settings: Settings) -> None:
    target = settings.sources_dir.parent / "precious.md"
    target.write_text("# Precious\n\nThis file lives outside the library.\n")
    (settings.sources_dir / "linked.md").symlink_to(target)
    remove_source(settings, Catalog(), "linked.md", keep_copy=False)
    assert not (settings.sources_dir / "linked.md").is_symlink()
    assert target.read_text().startswith("# Precious")


# -- the command line ------------------------------------------------------------------
def policybot(tmp: Path, *args: str, private: bool = True) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_FETCH_ALLOW_PRIVATE"}
    if private:
        env["SOURCE_FETCH_ALLOW_PRIVATE"] = "1"  # the test site is on 127.0.0.1
    return subprocess.run(
        [sys.executable, "-m", "policybot", "--sources", str(tmp / "sources"),
         "--data", str(tmp / "data"), *args],
        capture_output=True, text=True, timeout=240, cwd=ROOT, env=env, check=False,
    )  # fmt: skip


def test_cli_add_indexes_the_article_and_answers_cite_its_url(
    settings: Settings, site: str, tmp_path: Path
) -> None:
    url = f"{site}/2013/07/social-care-cap"
    added = policybot(tmp_path, "add", "--json", url)
    assert added.returncode == 0, added.stderr
    out = json.loads(added.stdout)
    assert out["added"] == "councils-warn-the-social-care-cap-will-arrive-unfunded.md"
    assert out["index"]["added"] == [out["added"]]
    question = "What is the most anyone in England will pay for personal care?"
    asked = policybot(tmp_path, "ask", "--json", question)
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert not answer["refused"]
    assert any(c["source"] == url and "£72,000" in c["quote"] for c in answer["citations"])


def test_cli_refuses_a_private_address_unless_the_operator_allows_it(
    site: str, tmp_path: Path
) -> None:
    url = f"{site}/2013/07/social-care-cap"
    refused = policybot(tmp_path, "add", "--no-index", url, private=False)
    assert refused.returncode == 2
    assert refused.stderr.strip() == (
        f"policybot: {url} is refused: 127.0.0.1 is a loopback address, not a public one "
        "(an operator can allow private addresses with SOURCE_FETCH_ALLOW_PRIVATE=1)"
    )
    assert policybot(tmp_path, "add", "--no-index", url, private=True).returncode == 0


@pytest.mark.parametrize(
    ("args", "status", "says"),
    [
        (("add", "{site}/no-such-article"), 2, "404"),
        (("add", "{site}/broken"), 1, "500"),
        (("remove", "../../etc/passwd"), 2, "outside the sources folder"),
    ],
)
def test_cli_refusals_are_one_line_with_the_right_status(
    settings: Settings, site: str, tmp_path: Path, args: tuple[str, ...], status: int, says: str
) -> None:
    done = policybot(tmp_path, *(a.format(site=site) for a in args))
    assert done.returncode == status
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], done.stderr
    assert "Traceback" not in done.stderr
    assert files_in(settings.sources_dir) == {}
