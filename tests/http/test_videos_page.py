"""GET /ui/videos and its fragments: the library with real stored videos, who sees the upload
and download forms, download jobs that poll until they end, and the files behind the links."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

import pytest
from sqlalchemy import event
from starlette.testclient import TestClient

from adda_dashboard.bootstrap import Container
from adda_dashboard.domain.roles import Role
from adda_dashboard.http.web.pages import videos as videos_page
from tests import factories
from tests.video_fixtures import VideoStack
from tests.video_support import Samples, multipart_upload, serving, wait_for

StackFactory = Callable[..., VideoStack]
POLLING = 'hx-trigger="every 1s"'


class _Rows(HTMLParser):
    """The library's rows: filename -> the whitespace-normalised text of each cell."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, list[str]] = {}
        self.order: list[str] = []
        self._row: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "tr" and found.get("data-filename"):
            self._row = str(found["data-filename"])
            self.rows[self._row] = []
            self.order.append(self._row)
        elif tag == "td" and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._row is not None and self._cell is not None:
            self.rows[self._row].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr":
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


class _Jobs(HTMLParser):
    """The job items of a page, in order: id -> the item's attributes and its text."""

    def __init__(self) -> None:
        super().__init__()
        self.order: list[str] = []
        self.attrs: dict[str, dict[str, str | None]] = {}
        self.text: dict[str, str] = {}
        self._open: str | None = None
        self._depth = 0
        self._parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "li" and self._open is None and found.get("data-job"):
            self._open = str(found["data-job"])
            self.order.append(self._open)
            self.attrs[self._open] = found
            self._depth, self._parts = 0, []
        elif tag == "li" and self._open is not None:
            self._depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag != "li" or self._open is None:
            return
        if self._depth:
            self._depth -= 1
            return
        self.text[self._open] = " ".join("".join(self._parts).split())
        self._open = None

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._parts.append(data)


def job_items(html: str) -> _Jobs:
    parser = _Jobs()
    parser.feed(html)
    return parser


def library_rows(html: str) -> _Rows:
    parser = _Rows()
    parser.feed(html)
    return parser


def signed_up(client: TestClient, container: Container, role: Role) -> tuple[str, dict[str, str]]:
    email = factories.make_user(container, role)
    return email, factories.login(client, email)


def upload(client: TestClient, headers: dict[str, str], path: Any, **data: str) -> dict[str, Any]:
    response = multipart_upload(client, path, headers=headers, data=data)
    assert response.status_code == 200, response.text
    return response.json()


def test_the_library_shows_each_video_with_its_facts_and_the_storage_stats(
    client: TestClient, container: Container, viewer: dict[str, str], samples: Samples
) -> None:
    email, headers = signed_up(client, container, Role.contributor)
    short = upload(client, headers, samples.vertical, contentType="Content")
    wide = upload(client, headers, samples.landscape)

    page = client.get("/ui/videos", headers=viewer)
    assert page.status_code == 200
    rows = library_rows(page.text)
    assert rows.order == [wide["filename"], short["filename"]], "newest first"
    name, size, duration, resolution, who, when, verdict = rows.rows[short["filename"]]
    assert name.startswith("vertical.mp4") and "Content" in name
    assert size == videos_page.size_text(samples.vertical.stat().st_size)
    assert (duration, resolution, who) == ("0:02", "36×64", email)
    assert when.endswith("UTC") and when[:4].isdigit()
    assert verdict.startswith("Short") and "Qualifies as a Short" in verdict
    wide_verdict = rows.rows[wide["filename"]][6]
    assert wide_verdict.startswith("Not a Short") and "landscape (64x36)" in wide_verdict
    assert rows.rows[wide["filename"]][3] == "64×36"
    assert f'href="/ui/videos/file/{short["filename"]}"' in page.text
    assert '<div class="value" id="stat-count">2</div>' in page.text
    total = samples.vertical.stat().st_size + samples.landscape.stat().st_size
    assert f'id="stat-size">{videos_page.size_text(total)}</div>' in page.text
    assert 'id="stat-free">' in page.text and 'id="stat-free">—<' not in page.text


def test_a_page_of_the_library_reads_its_rows_without_a_query_per_row(
    client: TestClient, container: Container, viewer: dict[str, str], samples: Samples
) -> None:
    email, headers = signed_up(client, container, Role.contributor)
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    def video_queries() -> list[str]:
        statements.clear()
        page = client.get("/ui/videos/library", headers=viewer)
        assert page.status_code == 200
        assert all(cells[4] == email for cells in library_rows(page.text).rows.values())
        return [s for s in statements if "videos" in s.lower()]

    event.listen(container.db.engine, "before_cursor_execute", record)
    try:
        upload(client, headers, samples.vertical)
        one_row = video_queries()
        upload(client, headers, samples.landscape)
        upload(client, headers, samples.square)
        three_rows = video_queries()
    finally:
        event.remove(container.db.engine, "before_cursor_execute", record)
    assert len(three_rows) == len(one_row), three_rows
    assert not any("videos.filename =" in s for s in three_rows), "no lookup per row"


def test_a_viewer_gets_the_library_but_no_upload_or_download_forms(
    client: TestClient, viewer: dict[str, str], contributor: dict[str, str]
) -> None:
    seen = client.get("/ui/videos", headers=viewer)
    assert seen.status_code == 200
    assert 'id="library"' in seen.text and "No videos stored yet." in seen.text
    for marker in (
        'id="upload-form"',
        'id="download-form"',
        'id="jobs"',
        "videos.js",
        'type="file"',
    ):
        assert marker not in seen.text
    assert "need the contributor role" in seen.text

    allowed = client.get("/ui/videos", headers=contributor)
    assert 'id="upload-form"' in allowed.text and 'id="download-form"' in allowed.text
    assert 'accept="video/*"' in allowed.text and '<label for="upload-video">' in allowed.text
    assert '<progress id="upload-progress" max="100" value="0">' in allowed.text
    assert "videos.js" in allowed.text


def test_a_signed_out_browser_is_sent_to_sign_in(client: TestClient) -> None:
    for path in ("/ui/videos", "/ui/videos/library", "/ui/videos/file/x.mp4"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/ui/login?next=")


def test_pages_of_the_library_go_from_newest_to_oldest(
    client: TestClient,
    contributor: dict[str, str],
    samples: Samples,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(videos_page, "PAGE_SIZE", 2)
    names = [
        upload(client, contributor, path)["filename"]
        for path in (samples.vertical, samples.landscape, samples.square)
    ]
    first = client.get("/ui/videos", headers=contributor)
    assert library_rows(first.text).order == [names[2], names[1]]
    assert "Videos 1–2 of 3" in first.text and 'href="/ui/videos?page=2" rel="next"' in first.text
    second = client.get("/ui/videos?page=2", headers=contributor)
    assert library_rows(second.text).order == [names[0]]
    assert "Videos 3–3 of 3" in second.text and 'rel="next"' not in second.text
    assert 'href="/ui/videos?page=1" rel="prev"' in second.text
    # The fragment the page reloads after an upload is the same section, for the same page.
    fragment = client.get("/ui/videos/library?page=2", headers=contributor)
    assert fragment.text.lstrip().startswith('<section id="library"')
    assert 'hx-get="/ui/videos/library?page=2"' in fragment.text
    assert library_rows(fragment.text).order == [names[0]]
    beyond = client.get("/ui/videos?page=9", headers=contributor)
    assert beyond.status_code == 200 and "No videos on this page." in beyond.text


@pytest.mark.parametrize("page", ["0", "-1", "two"])
def test_a_bad_page_number_is_named_in_the_error(
    client: TestClient, viewer: dict[str, str], page: str
) -> None:
    response = client.get(f"/ui/videos?page={page}", headers=viewer)
    assert response.status_code == 400
    assert "&#39;page&#39;" in response.text or "'page'" in response.text


def test_a_file_link_streams_the_stored_bytes_to_the_session(
    client: TestClient, contributor: dict[str, str], viewer: dict[str, str], samples: Samples
) -> None:
    stored = upload(client, contributor, samples.square)
    response = client.get(f"/ui/videos/file/{stored['filename']}", headers=viewer)
    assert response.status_code == 200
    assert response.headers["content-type"] == "video/mp4"
    assert hashlib.sha256(response.content).hexdigest() == stored["sha256"]
    missing = client.get("/ui/videos/file/" + "0" * 64 + ".mp4", headers=viewer)
    assert missing.status_code == 404 and "Video not found" in missing.text


def queue(stack: VideoStack, headers: dict[str, str], url: str) -> str:
    response = stack.client.post(
        "/api/download-youtube", json={"youtube_url": url, "async": True}, headers=headers
    )
    assert response.status_code == 202, response.text
    return str(response.json()["download_id"])


def test_a_job_polls_while_active_and_stops_once_cancelled(
    video_stack: StackFactory,
) -> None:
    stack = video_stack()
    owner, stranger = stack.headers(), stack.headers()
    job_id = queue(stack, owner, "http://127.0.0.1:9/never-served.mp4")  # no worker runs it

    waiting = stack.client.get(f"/ui/videos/jobs/{job_id}", headers=owner)
    assert waiting.status_code == 200
    assert POLLING in waiting.text and 'data-status="queued"' in waiting.text
    assert f'hx-post="/ui/videos/jobs/{job_id}/cancel"' in waiting.text
    assert "HX-Trigger" not in waiting.headers

    hidden = stack.client.get(f"/ui/videos/jobs/{job_id}", headers=stranger)
    assert hidden.status_code == 200, "an unknown job ends its polling instead of failing"
    assert "Download ID not found" in hidden.text and POLLING not in hidden.text
    refused = stack.client.post(f"/ui/videos/jobs/{job_id}/cancel", headers=stranger)
    assert "Download ID not found" in refused.text
    assert stack.client.get(f"/ui/videos/jobs/{job_id}", headers=owner).text == waiting.text

    cancelled = stack.client.post(f"/ui/videos/jobs/{job_id}/cancel", headers=owner)
    assert cancelled.status_code == 200
    assert 'data-status="cancelled"' in cancelled.text and POLLING not in cancelled.text
    assert "Download cancelled" in cancelled.text and "Cancel download" not in cancelled.text
    again = stack.client.post(f"/ui/videos/jobs/{job_id}/cancel", headers=owner)
    assert again.status_code == 200 and "already cancelled" in again.text
    status = stack.client.get(f"/api/download-youtube/status/{job_id}", headers=owner)
    assert status.json()["status"] == "cancelled"


def test_a_finished_download_shows_its_video_and_asks_the_library_to_reload(
    video_stack: StackFactory, samples: Samples
) -> None:
    stack = video_stack()
    headers = stack.headers()
    with serving(samples.vertical.read_bytes()) as host:
        job_id = queue(stack, headers, host.url)
        stack.worker()

        def finished() -> Any:
            answer = stack.client.get(f"/ui/videos/jobs/{job_id}", headers=headers)
            return answer if POLLING not in answer.text else None

        done = wait_for(finished, what="the job fragment to stop polling")
    assert 'data-status="completed"' in done.text
    assert done.headers["HX-Trigger"] == videos_page.LIBRARY_CHANGED
    assert "Qualifies as a Short" in done.text and "36×64" in done.text
    assert 'value="100.0"' in done.text and "100%" in done.text
    sha = hashlib.sha256(samples.vertical.read_bytes()).hexdigest()
    assert f'href="/ui/videos/file/{sha}.mp4"' in done.text
    library = stack.client.get("/ui/videos/library", headers=headers)
    assert library_rows(library.text).order == [f"{sha}.mp4"]
    # Reloaded, the page still shows how the download ended, and no longer polls it.
    reloaded = stack.client.get("/ui/videos", headers=headers)
    jobs = job_items(reloaded.text)
    assert jobs.order == [job_id]
    assert jobs.attrs[job_id]["data-status"] == "completed"
    assert "hx-trigger" not in jobs.attrs[job_id]
    assert "Completed" in jobs.text[job_id] and "Qualifies as a Short" in jobs.text[job_id]


def email_of(stack: VideoStack, headers: dict[str, str]) -> str:
    return str(stack.client.get("/api/auth/me", headers=headers).json()["user"]["email"])


def test_a_reload_shows_recent_downloads_polling_while_active_and_ended_ones_as_they_ended(
    video_stack: StackFactory,
) -> None:
    stack = video_stack()
    owner, stranger, admin = stack.headers(), stack.headers(), stack.headers(Role.admin)
    waiting = queue(stack, owner, "http://127.0.0.1:9/waiting.mp4")  # no worker runs it
    stopped = queue(stack, owner, "http://127.0.0.1:9/stopped.mp4")
    cancel = stack.client.post(f"/api/download-youtube/{stopped}/cancel", headers=owner)
    assert cancel.status_code == 200

    page = stack.client.get("/ui/videos", headers=owner)
    assert page.status_code == 200 and "Recent downloads" in page.text
    jobs = job_items(page.text)
    assert jobs.order == [stopped, waiting], "newest first"
    live = jobs.attrs[waiting]
    assert (live["data-status"], live["hx-trigger"]) == ("queued", "every 1s")
    assert live["hx-get"] == f"/ui/videos/jobs/{waiting}"
    assert "Cancel download" in jobs.text[waiting] and "waiting.mp4" in jobs.text[waiting]
    ended = jobs.attrs[stopped]
    assert ended["data-status"] == "cancelled" and "hx-trigger" not in ended
    assert "Cancelled: Cancelled by request" in jobs.text[stopped]
    assert "Cancel download" not in jobs.text[stopped]
    assert 'id="jobs-empty" hidden' in page.text
    assert "Requested by" not in page.text, "one's own jobs need no name"

    others = stack.client.get("/ui/videos", headers=stranger)
    assert job_items(others.text).order == []
    assert 'id="jobs-empty">No downloads yet.' in others.text

    everyone = stack.client.get("/ui/videos", headers=admin)
    everyone_jobs = job_items(everyone.text)
    assert everyone_jobs.order == [stopped, waiting]
    assert "Everyone's latest downloads" in everyone.text
    assert f"Requested by {email_of(stack, owner)}" in everyone_jobs.text[waiting]


def test_the_page_lists_at_most_the_ten_newest_downloads(video_stack: StackFactory) -> None:
    stack = video_stack(download_user_limit=20, download_queue_limit=20)
    headers = stack.headers()
    started = [queue(stack, headers, f"http://127.0.0.1:9/clip{n}.mp4") for n in range(12)]
    page = stack.client.get("/ui/videos", headers=headers)
    assert job_items(page.text).order == started[::-1][: videos_page.RECENT_JOBS]


@pytest.mark.parametrize(
    ("size", "text"),
    [(None, "—"), (0, "0 B"), (1023, "1023 B"), (1536, "1.5 KB"), (5 * 1024**3, "5.0 GB")],
)
def test_sizes_read_in_the_largest_fitting_unit(size: int | None, text: str) -> None:
    assert videos_page.size_text(size) == text


@pytest.mark.parametrize(
    ("seconds", "text"), [(None, "—"), (2.04, "0:02"), (181, "3:01"), (3725, "1:02:05")]
)
def test_durations_read_as_a_clock(seconds: float | None, text: str) -> None:
    assert videos_page.duration_text(seconds) == text


@pytest.mark.parametrize(
    ("stored", "text"),
    [
        ("2025-11-15T12:00:59.123456", "2025-11-15 12:00 UTC"),  # SQLite: no zone, UTC
        ("2025-11-15T17:30:00+05:30", "2025-11-15 12:00 UTC"),  # PostgreSQL: a zone
        (None, "—"),
        ("not a time", "—"),
    ],
)
def test_times_are_shown_in_utc_whatever_zone_the_database_gives(
    stored: str | None, text: str
) -> None:
    assert videos_page.when_text(stored) == text
