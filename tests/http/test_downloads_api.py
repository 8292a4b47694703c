"""Downloads as jobs against a local HTTP host serving a real MP4 (yt-dlp's generic extractor),
run by a queue consumer on threads of the test process."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from adda_dashboard.domain.roles import Role
from tests.factories import add_entry
from tests.video_fixtures import VideoStack
from tests.video_support import Samples, files_under, serving, wait_for

StackFactory = Callable[..., VideoStack]
FINISHED = ("completed", "failed", "cancelled")


def queue_download(
    stack: VideoStack, headers: dict[str, str], url: str, **extra: Any
) -> dict[str, Any]:
    response = stack.client.post(
        "/api/download-youtube", json={"youtube_url": url, "async": True, **extra}, headers=headers
    )
    assert response.status_code == 202, response.text
    return response.json()


def status_of(stack: VideoStack, headers: dict[str, str], job_id: str) -> dict[str, Any]:
    response = stack.client.get(f"/api/download-youtube/status/{job_id}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def wait_finished(stack: VideoStack, headers: dict[str, str], job_id: str) -> dict[str, Any]:
    return wait_for(
        lambda: (s := status_of(stack, headers, job_id))["status"] in FINISHED and s,
        what=f"download {job_id} to finish",
    )


def test_async_download_completes_with_progress_rising(
    video_stack: StackFactory, samples: Samples
) -> None:
    stack = video_stack()
    headers = stack.headers()
    payload = samples.long_vertical.read_bytes()
    with serving(payload, mode="gate") as host:
        queued = queue_download(stack, headers, host.url, content_type="Content")
        assert queued["status"] == "queued"
        assert queued["status_url"] == f"/api/download-youtube/status/{queued['download_id']}"
        stack.worker()
        seen: list[dict[str, Any]] = []

        def midway() -> bool:
            current = status_of(stack, headers, queued["download_id"])
            seen.append(current)
            return current["status"] == "downloading" and 0 < current["percent"] < 100

        wait_for(midway, what="progress half-way")
        host.release()

        def done() -> bool:
            current = status_of(stack, headers, queued["download_id"])
            seen.append(current)
            return current["status"] == "completed"

        wait_for(done, what="completion")
    progress = [s["progress"]["downloaded_bytes"] for s in seen]
    percents = [s["percent"] for s in seen]
    assert progress == sorted(progress) and percents == sorted(percents)
    assert any(0 < p < 100 for p in percents) and percents[-1] == 100
    final = seen[-1]
    assert final["progress"]["total_bytes"] == len(payload)
    assert final["attempts"] == 1 and final["tries"] == 1
    assert final["video"]["metadata"]["duration"] == pytest.approx(181, abs=0.05)
    assert final["video"]["shorts"]["qualifies"] is False
    assert final["video_info"]["id"] == "clip"
    stored = files_under(stack.video_dir)
    assert stored == [stack.video_dir / final["filename"]]
    assert stored[0].read_bytes() == payload
    listed = stack.client.get("/api/videos/list", headers=headers).json()
    assert [v["source_url"] for v in listed["videos"]] == [host.url]


def test_a_connection_dropped_half_way_is_retried_then_fails_with_no_partial_file(
    video_stack: StackFactory, samples: Samples
) -> None:
    stack = video_stack(download_max_attempts=3)
    headers = stack.headers()
    with serving(samples.long_vertical.read_bytes(), mode="drop") as host:
        job = queue_download(stack, headers, host.url)
        stack.worker()
        final = wait_finished(stack, headers, job["download_id"])
    assert final["status"] == "failed"
    assert final["tries"] == 3
    assert host.bodies_started >= 3
    assert final["error"].startswith("The video host closed the connection")
    assert final["error"].endswith("Gave up after 3 tries.")
    assert files_under(stack.video_dir) == []
    assert stack.client.get("/api/videos/list", headers=headers).json()["count"] == 0


def test_a_refusal_by_the_host_is_not_retried_and_is_told_in_plain_words(
    video_stack: StackFactory, samples: Samples
) -> None:
    stack = video_stack(download_max_attempts=3)
    headers = stack.headers()
    with serving(samples.vertical.read_bytes(), mode="403") as host:
        job = queue_download(stack, headers, host.url)
        stack.worker()
        final = wait_finished(stack, headers, job["download_id"])
    assert final["status"] == "failed"
    assert final["tries"] == 1 and host.gets == 1
    assert final["error"] == "The video host refused the download (HTTP 403 Forbidden)."


def test_a_download_that_is_not_a_video_fails_and_is_not_stored(
    video_stack: StackFactory,
) -> None:
    stack = video_stack()
    headers = stack.headers()
    with serving(b"\x89PNG\r\n\x1a\n" + b"\x00" * 5000) as host:
        job = queue_download(stack, headers, host.url)
        stack.worker()
        final = wait_finished(stack, headers, job["download_id"])
    assert final["status"] == "failed"
    assert "not a video" in final["error"]
    assert files_under(stack.video_dir) == []


def test_a_full_queue_answers_503_and_a_busy_user_429_with_retry_after(
    video_stack: StackFactory,
) -> None:
    stack = video_stack(
        download_queue_limit=3, download_user_limit=2, download_retry_after_seconds=45
    )
    alice, bob = stack.headers(), stack.headers()
    url = "http://127.0.0.1:9/never.mp4"  # no worker runs: the jobs stay queued
    queue_download(stack, alice, url)
    queue_download(stack, alice, url)
    busy = stack.client.post(
        "/api/download-youtube", json={"youtube_url": url, "async": True}, headers=alice
    )
    assert busy.status_code == 429
    assert busy.headers["Retry-After"] == "45"
    queue_download(stack, bob, url)
    full = stack.client.post(
        "/api/download-youtube", json={"youtube_url": url, "async": True}, headers=bob
    )
    assert full.status_code == 503
    assert full.headers["Retry-After"] == "45"
    assert full.json()["error"] == "Download queue is full. Please try again later."
    assert full.json()["queue_size"] == 3


def test_finished_jobs_do_not_hold_places_in_the_queue(
    video_stack: StackFactory, samples: Samples
) -> None:
    stack = video_stack(download_queue_limit=1)
    headers = stack.headers()
    with serving(samples.vertical.read_bytes()) as host:
        first = queue_download(stack, headers, host.url)
        stack.worker()
        assert wait_finished(stack, headers, first["download_id"])["status"] == "completed"
        second = queue_download(stack, headers, host.url)
        assert wait_finished(stack, headers, second["download_id"])["duplicate"] is True
    cleaned = stack.client.post("/api/download-youtube/cleanup", headers=headers).json()
    assert cleaned == {
        "success": True,
        "cleaned": 2,
        "message": "Cleaned up 2 completed download records",
    }
    gone = stack.client.get(f"/api/download-youtube/status/{first['download_id']}", headers=headers)
    assert gone.status_code == 404 and gone.json()["error"] == "Download ID not found"


def test_a_finished_job_fills_the_named_entry_as_the_system(
    video_stack: StackFactory, samples: Samples
) -> None:
    stack = video_stack()
    headers = stack.headers()
    entry = add_entry(stack.client, headers)
    with serving(samples.vertical.read_bytes()) as host:
        job = queue_download(stack, headers, host.url, entry_id=entry["id"])
        stack.worker()
        final = wait_finished(stack, headers, job["download_id"])
    assert final["status"] == "completed" and final["entry_updated"] is True
    current = stack.client.get(f"/api/entries/{entry['id']}", headers=headers).json()
    record = current.get("data", current)
    assert record["VideoId"] == final["video"]["video_id"]
    assert record["Video Link"] == final["video"]["link"]
    history = stack.client.get(f"/api/entries/{entry['id']}/history", headers=headers).json()
    assert history["history"][-1]["actor_email"] == "system@localhost"


def test_sync_mode_waits_for_the_download_and_answers_with_the_file(
    video_stack: StackFactory, samples: Samples
) -> None:
    stack = video_stack()
    headers = stack.headers()
    stack.worker()
    with serving(samples.square.read_bytes()) as host:
        response = stack.client.post(
            "/api/download-youtube", json={"youtube_url": host.url}, headers=headers
        )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "completed"
    assert {"filename", "file_size_mb", "video_info"} <= set(body)
    assert body["video"]["shorts"]["qualifies"] is True


def test_a_queued_job_can_be_cancelled_and_then_never_runs(
    video_stack: StackFactory, samples: Samples
) -> None:
    stack = video_stack()
    headers = stack.headers()
    with serving(samples.vertical.read_bytes()) as host:
        job = queue_download(stack, headers, host.url)
        cancelled = stack.client.post(
            f"/api/download-youtube/{job['download_id']}/cancel", headers=headers
        )
        assert cancelled.json()["status"] == "cancelled"
        stack.worker()
        sentinel = queue_download(stack, headers, host.url)  # runs after the cancelled one
        wait_finished(stack, headers, sentinel["download_id"])
        assert host.gets == 2  # the sentinel's two requests only
    assert status_of(stack, headers, job["download_id"])["status"] == "cancelled"
    again = stack.client.post(f"/api/download-youtube/{job['download_id']}/cancel", headers=headers)
    assert again.status_code == 409


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("http://127.0.0.1:8080/v.mp4", "private or local address"),
        ("http://169.254.169.254/latest/youtu.be/AAAAAAAAAAA", "private or local address"),
        ("http://[::1]/v.mp4", "private or local address"),
        ("http://10.1.2.3/v.mp4", "private or local address"),
        ("ftp://example.com/v.mp4", "Only http and https"),
        ("file:///etc/passwd", "Only http and https"),
    ],
)
def test_private_addresses_and_other_schemes_are_refused(
    video_stack: StackFactory, url: str, fragment: str
) -> None:
    stack = video_stack(download_allow_loopback=False)
    headers = stack.headers()
    response = stack.client.post(
        "/api/download-youtube", json={"youtube_url": url}, headers=headers
    )
    assert response.status_code == 400
    assert fragment in response.json()["error"]
    assert response.json()["field"] == "youtube_url"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (None, "YouTube URL is required"),
        ({}, "YouTube URL is required"),
        ({"youtube_url": "  "}, "YouTube URL cannot be empty"),
        ({"youtube_url": "https://x.test/v", "async": "yes"}, "'async' must be true or false"),
    ],
)
def test_malformed_requests_get_the_contract_400s(
    video_stack: StackFactory, body: Any, message: str
) -> None:
    stack = video_stack()
    response = stack.client.post("/api/download-youtube", json=body, headers=stack.headers())
    assert response.status_code == 400
    assert response.json()["error"] == message


def test_jobs_are_private_to_their_requester_and_editors(
    video_stack: StackFactory,
) -> None:
    stack = video_stack()
    owner, other, editor = stack.headers(), stack.headers(), stack.headers(Role.editor)
    job = queue_download(stack, owner, "http://127.0.0.1:9/never.mp4")
    path = f"/api/download-youtube/status/{job['download_id']}"
    assert stack.client.get(path, headers=other).status_code == 404
    assert stack.client.get(path, headers=editor).status_code == 200
    viewer = stack.headers(Role.viewer)
    refused = stack.client.post(
        "/api/download-youtube", json={"youtube_url": "http://127.0.0.1:9/x.mp4"}, headers=viewer
    )
    assert refused.status_code == 403
    assert stack.client.post("/api/download-youtube", json={}).status_code == 401


def test_downloads_are_refused_while_free_disk_is_below_the_threshold(
    video_stack: StackFactory,
) -> None:
    stack = video_stack(video_min_free_disk_mb=1024 * 1024 * 1024)
    response = stack.client.post(
        "/api/download-youtube",
        json={"youtube_url": "http://127.0.0.1:9/v.mp4", "async": True},
        headers=stack.headers(),
    )
    assert response.status_code == 507


def test_a_retried_request_with_the_same_idempotency_key_queues_one_job(
    video_stack: StackFactory,
) -> None:
    stack = video_stack()
    headers = {**stack.headers(), "Idempotency-Key": "dl-1"}
    first = queue_download(stack, headers, "http://127.0.0.1:9/v.mp4")
    again = queue_download(stack, headers, "http://127.0.0.1:9/v.mp4")
    assert again["download_id"] == first["download_id"]
    assert stack.container.queue.pending() == 1


def test_with_redis_configured_the_queue_lives_in_redis_and_runs_jobs(
    video_stack: StackFactory, samples: Samples
) -> None:
    from huey import RedisHuey

    from tests.redis_support import redis_url_or_skip

    prefix = f"adda-test-{uuid.uuid4().hex[:8]}"
    stack = video_stack(redis_url=redis_url_or_skip(), cache_prefix=prefix)
    assert isinstance(stack.container.queue.huey, RedisHuey)
    headers = stack.headers()
    try:
        with serving(samples.vertical.read_bytes()) as host:
            job = queue_download(stack, headers, host.url)
            assert stack.container.queue.pending() == 1
            stack.worker()
            assert wait_finished(stack, headers, job["download_id"])["status"] == "completed"
        assert not (stack.root / "var" / "queue.db").exists()
    finally:
        stack.container.queue.flush()


def test_cancelling_a_running_download_stops_it_and_keeps_nothing(
    video_stack: StackFactory, samples: Samples
) -> None:
    stack = video_stack()
    headers = stack.headers()
    with serving(samples.long_landscape.read_bytes(), mode="gate") as host:
        job = queue_download(stack, headers, host.url)
        stack.worker()
        wait_for(
            lambda: status_of(stack, headers, job["download_id"])["percent"] > 0,
            what="the download to start",
        )
        cancelled = stack.client.post(
            f"/api/download-youtube/{job['download_id']}/cancel", headers=headers
        )
        assert cancelled.json()["status"] == "cancelled"
        host.release()
        incoming = stack.video_dir / ".incoming"
        wait_for(lambda: not list(incoming.glob("dl-*")), what="the worker to clean up")
    final = status_of(stack, headers, job["download_id"])
    assert final["status"] == "cancelled" and final["error"] == "Cancelled by request"
    assert files_under(stack.video_dir) == []
    assert "download_abandoned" in (stack.root / "logs" / "video_uploads.log").read_text()


def email_of(stack: VideoStack, headers: dict[str, str]) -> str:
    return str(stack.client.get("/api/auth/me", headers=headers).json()["user"]["email"])


def recent_jobs(stack: VideoStack, headers: dict[str, str], query: str = "") -> list[str]:
    response = stack.client.get(f"/api/download-youtube/jobs{query}", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True and body["count"] == len(body["jobs"])
    return [job["download_id"] for job in body["jobs"]]


def test_recent_jobs_are_the_callers_own_newest_first_and_everyones_for_an_admin(
    video_stack: StackFactory,
) -> None:
    stack = video_stack()
    alice, bob = stack.headers(), stack.headers()
    editor, admin, viewer = (stack.headers(r) for r in (Role.editor, Role.admin, Role.viewer))
    url = "http://127.0.0.1:9/never-{}.mp4"  # no worker runs: the jobs stay queued
    mine = [queue_download(stack, alice, url.format(n))["download_id"] for n in range(3)]
    theirs = queue_download(stack, bob, url.format("bob"))["download_id"]
    cancelled = stack.client.post(f"/api/download-youtube/{mine[0]}/cancel", headers=alice)
    assert cancelled.status_code == 200  # finished jobs are listed too

    assert recent_jobs(stack, alice) == mine[::-1]
    assert recent_jobs(stack, bob) == [theirs]
    assert recent_jobs(stack, editor) == [], "editors see only their own jobs here"
    assert recent_jobs(stack, viewer) == []
    assert recent_jobs(stack, admin) == [theirs, *mine[::-1]]
    assert recent_jobs(stack, alice, "?limit=2") == mine[:0:-1]
    assert recent_jobs(stack, admin, "?limit=1") == [theirs]
    assert recent_jobs(stack, admin, "?limit=100") == [theirs, *mine[::-1]]

    # Each job is described exactly as its status endpoint describes it.
    listed = stack.client.get("/api/download-youtube/jobs", headers=admin).json()["jobs"]
    for job in listed:
        assert job == status_of(stack, admin, job["download_id"])
    by_id = {job["download_id"]: job for job in listed}
    assert by_id[mine[0]]["status"] == "cancelled" and by_id[mine[1]]["status"] == "queued"
    assert by_id[theirs]["requested_by"] == email_of(stack, bob)
    assert by_id[mine[2]]["requested_by"] == email_of(stack, alice)


@pytest.mark.parametrize("limit", ["0", "101", "-3", "ten", "2.5"])
def test_a_bad_limit_for_recent_jobs_is_a_400_naming_limit(
    video_stack: StackFactory, limit: str
) -> None:
    stack = video_stack()
    response = stack.client.get(
        f"/api/download-youtube/jobs?limit={limit}", headers=stack.headers()
    )
    assert response.status_code == 400
    body = response.json()
    assert body["field"] == "limit" and "'limit'" in body["error"]


def test_recent_jobs_need_a_signed_in_caller(video_stack: StackFactory) -> None:
    stack = video_stack()
    assert stack.client.get("/api/download-youtube/jobs").status_code == 401
