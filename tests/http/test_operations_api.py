"""The operators' endpoints: ``/health/detailed`` reports video storage and the job queue beside
the database, Redis and disk, and ``/metrics`` counts the videos stored and the downloads in
progress from the database."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from adda_dashboard.bootstrap import Container
from adda_dashboard.db.base import utcnow
from adda_dashboard.db.repositories import download_jobs as jobs_repo
from adda_dashboard.db.repositories import videos as videos_repo
from adda_dashboard.domain.roles import Role
from tests.video_fixtures import VideoStack
from tests.video_support import Samples, multipart_upload

StackFactory = Callable[..., VideoStack]
MB = 1024 * 1024
NOWHERE = "http://127.0.0.1:9"  # nothing listens there
QUEUE_URL = NOWHERE + "/clip-{n}.mp4"  # never fetched: no worker runs in these tests


def health(client: TestClient) -> tuple[int, dict[str, Any]]:
    response = client.get("/health/detailed")
    return response.status_code, response.json()


def video_counts(client: TestClient) -> dict[str, Any]:
    response = client.get("/metrics")
    assert response.status_code == 200, response.text
    return dict(response.json()["videos"])


def queue_download(stack: VideoStack, headers: dict[str, str], n: int) -> str:
    response = stack.client.post(
        "/api/download-youtube",
        json={"youtube_url": QUEUE_URL.format(n=n), "async": True},
        headers=headers,
    )
    assert response.status_code == 202, response.text
    return str(response.json()["download_id"])


def test_health_reports_storage_and_queue_beside_the_other_parts(
    client: TestClient, container: Container
) -> None:
    status, body = health(client)
    assert status == 200
    assert body["status"] == "healthy"
    services = body["services"]
    assert services["database"] == "healthy"
    assert services["redis"] == "not configured"
    assert services["video_storage"] == "healthy"
    assert services["video_storage_backend"] == "local"
    assert services["job_queue"] == "healthy"
    assert services["job_queue_pending"] == container.queue.pending()
    assert services["disk"]["status"] == "healthy" and services["disk"]["free_mb"] > 0
    assert body["down"] == [] and body["degraded"] == []
    assert {"timestamp", "cache", "auth"} <= set(body)  # the keys it always had
    # Anyone may call it: it names no server path.
    assert str(container.settings.var_dir.resolve()) not in client.get("/health/detailed").text


def test_a_local_video_folder_that_is_a_file_is_down_and_answers_503(
    video_stack: StackFactory, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the videos should go")
    stack = video_stack(video_dir=blocker)
    status, body = health(stack.client)
    assert status == 503
    assert body["status"] == "unhealthy"
    assert body["down"] == ["video_storage"]
    services = body["services"]
    assert services["video_storage"] == "unhealthy"
    assert services["video_storage_error"] == "the video folder is not a folder"
    assert services["database"] == "healthy" and services["job_queue"] == "healthy"
    assert str(blocker) not in stack.client.get("/health/detailed").text
    # The admin console shows the same result, with the path for operators.
    page = stack.client.get("/ui/admin", headers=stack.headers(Role.admin))
    assert page.status_code == 200
    assert 'data-part="Video storage">Down<' in page.text
    assert f"local: {blocker.resolve()} is not a folder" in page.text
    assert 'data-part="overall">Down<' in page.text


def test_a_video_folder_inside_a_file_is_down(video_stack: StackFactory, tmp_path: Path) -> None:
    blocker = tmp_path / "plain-file"
    blocker.write_text("x")
    stack = video_stack(video_dir=blocker / "videos")
    status, body = health(stack.client)
    assert status == 503 and body["down"] == ["video_storage"]
    assert body["services"]["video_storage_error"] == "the video folder is not a folder"


@pytest.mark.skipif(os.geteuid() == 0, reason="permission bits do not stop root")
def test_an_unwritable_local_video_folder_is_down(
    video_stack: StackFactory, tmp_path: Path
) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        stack = video_stack(video_dir=folder)
        status, body = health(stack.client)
    finally:
        folder.chmod(0o755)
    assert status == 503 and body["down"] == ["video_storage"]
    assert body["services"]["video_storage_error"] == "the video folder is not writable"


def test_remote_storage_with_an_unusable_staging_folder_only_degrades(
    video_stack: StackFactory, tmp_path: Path
) -> None:
    blocker = tmp_path / "staging-blocker"
    blocker.write_text("x")
    # Nothing listens on the endpoint: the check must not call the remote.
    remote = {"storage_backend": "s3", "s3_bucket": "videos", "s3_endpoint_url": NOWHERE}
    stack = video_stack(video_dir=blocker, **remote)
    status, body = health(stack.client)
    assert status == 200
    assert body["status"] == "degraded"
    assert body["down"] == [] and body["degraded"] == ["video_storage"]
    assert body["services"]["video_storage_backend"] == "s3"
    assert body["services"]["video_storage_error"] == "the upload staging folder is not a folder"

    healthy = video_stack(**remote)
    status, body = health(healthy.client)
    assert (status, body["status"]) == (200, "healthy")
    assert body["services"]["video_storage"] == "healthy"


def test_a_queue_that_fails_is_reported_and_degrades_without_a_500(
    client: TestClient, container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> int:
        raise OSError("/secret/path/queue.db is gone")

    monkeypatch.setattr(container.queue, "pending", broken)
    status, body = health(client)
    assert status == 200
    assert body["status"] == "degraded" and body["degraded"] == ["job_queue"]
    assert body["services"]["job_queue"] == "unhealthy"
    assert body["services"]["job_queue_error"] == "the queue did not answer (OSError)"
    assert "/secret/path" not in client.get("/health/detailed").text


def test_metrics_count_the_videos_stored_and_their_size(
    video_stack: StackFactory, samples: Samples
) -> None:
    stack = video_stack()
    assert video_counts(stack.client) == {
        "stored_locally": 0,
        "total_size_mb": 0.0,
        "total_size_bytes": 0,
        "downloads_in_progress": 0,
    }
    headers = stack.headers()
    for sample in (samples.vertical, samples.landscape, samples.vertical):  # the last is a repeat
        response = multipart_upload(stack.client, sample, headers=headers)
        assert response.status_code == 200, response.text
    counts = video_counts(stack.client)
    total = samples.vertical.stat().st_size + samples.landscape.stat().st_size
    assert counts["stored_locally"] == 2
    assert counts["total_size_mb"] == round(total / MB, 2)
    assert counts["total_size_bytes"] == total
    page = stack.client.get("/ui/admin", headers=stack.headers(Role.admin))
    assert f"Videos stored ({round(total / MB, 2)} MB)" in page.text


def test_metrics_count_queued_and_running_downloads_only(video_stack: StackFactory) -> None:
    stack = video_stack()
    headers = stack.headers()
    jobs = [queue_download(stack, headers, n) for n in range(3)]
    assert video_counts(stack.client)["downloads_in_progress"] == 3
    assert health(stack.client)[1]["services"]["job_queue_pending"] == 3
    with stack.container.db.write() as session:  # a worker takes the first one
        assert jobs_repo.claim(session, jobs[0], utcnow()) == 1
    assert video_counts(stack.client)["downloads_in_progress"] == 3
    cancelled = stack.client.post(f"/api/download-youtube/{jobs[1]}/cancel", headers=headers)
    assert cancelled.json()["status"] == "cancelled"
    assert video_counts(stack.client)["downloads_in_progress"] == 2  # one queued, one running


def test_metrics_and_the_console_survive_a_failing_count(
    client: TestClient, admin: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(_session: object) -> tuple[int, int]:
        raise RuntimeError("the videos table is locked")

    monkeypatch.setattr(videos_repo, "totals", broken)
    assert video_counts(client) == dict.fromkeys(
        ("stored_locally", "total_size_mb", "total_size_bytes", "downloads_in_progress")
    )
    page = client.get("/ui/admin", headers=admin)
    assert page.status_code == 200
    assert re.search(r'<div class="value">–</div><div class="label">Videos stored</div>', page.text)
