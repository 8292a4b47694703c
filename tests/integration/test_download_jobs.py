"""Download jobs across processes and failures: a second server answers status the same, a
worker killed mid-job leaves the job retried (never stuck), and housekeeping."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from adda_dashboard.db.base import utcnow
from adda_dashboard.db.models import DownloadJob
from adda_dashboard.domain.roles import SYSTEM, Actor, Role
from adda_dashboard.errors import Invalid
from adda_dashboard.services.videos import Provenance
from tests.factories import add_entry
from tests.integration.live_servers import live_server, server_env, worker_process
from tests.video_fixtures import VideoStack
from tests.video_support import Samples, files_under, serving, wait_for

StackFactory = Callable[..., VideoStack]
TEST_SECRET = "test-secret-" + "x" * 40  # the secret tests/conftest.py gives every container


def process_env(stack: VideoStack, database_url: str) -> dict[str, str]:
    """Settings for another process sharing this stack's database, queue and video store."""
    return server_env(
        database_url,
        stack.root / "var",
        ADDA_JWT_SECRET=TEST_SECRET,
        ADDA_LOG_DIR=str(stack.root / "logs"),
        ADDA_DOWNLOAD_ALLOW_LOOPBACK="true",
        ADDA_VIDEO_MIN_FREE_DISK_MB="0",
        ADDA_JOB_HEARTBEAT_SECONDS="0.2",
        ADDA_WORKER_POLL_SECONDS="0.1",
        ADDA_SERVE_WITH_WORKER="false",
        ADDA_RATE_LIMITS_ENABLED="false",
    )


def job_row(stack: VideoStack, job_id: str) -> DownloadJob:
    with stack.container.db.read() as session:
        job = session.get(DownloadJob, job_id)
        assert job is not None
        session.expunge_all()
        return job


@pytest.mark.slow
def test_status_is_identical_when_polled_through_a_second_server_process(
    video_stack: StackFactory, samples: Samples, database_url: str
) -> None:
    stack = video_stack()
    headers = stack.headers()
    with (
        serving(samples.long_vertical.read_bytes(), mode="gate") as host,
        live_server(process_env(stack, database_url)) as other,
    ):
        job_id = stack.client.post(
            "/api/download-youtube", json={"youtube_url": host.url, "async": True}, headers=headers
        ).json()["download_id"]
        path = f"/api/download-youtube/status/{job_id}"

        def both() -> tuple[dict[str, object], dict[str, object]]:
            here = stack.client.get(path, headers=headers)
            there = httpx.get(other + path, headers=headers, timeout=10)
            assert (here.status_code, there.status_code) == (200, 200)
            return here.json(), there.json()

        queued = both()
        assert queued[0] == queued[1] and queued[0]["status"] == "queued"
        stack.worker()
        wait_for(
            lambda: (b := both())[0]["status"] == "downloading" and b[0]["percent"] > 0,
            what="download under way",
        )
        running = both()
        assert running[0] == running[1]
        host.release()
        wait_for(lambda: both()[0]["status"] == "completed", what="completion")
        done = both()
        assert done[0] == done[1] and done[0]["filename"]


@pytest.mark.slow
def test_a_worker_killed_mid_download_leaves_the_job_retried_not_stuck(
    video_stack: StackFactory, samples: Samples, database_url: str
) -> None:
    stack = video_stack(download_max_attempts=2)
    headers = stack.headers()
    payload = samples.long_landscape.read_bytes()
    env = process_env(stack, database_url)
    with serving(payload, mode="gate") as host:
        job_id = stack.client.post(
            "/api/download-youtube", json={"youtube_url": host.url, "async": True}, headers=headers
        ).json()["download_id"]
        with worker_process(env, stack.root / "worker.log") as worker:
            wait_for(
                lambda: job_row(stack, job_id).downloaded_bytes > 0,
                timeout=90,
                what="the worker process to start downloading",
            )
            os.kill(worker.pid, signal.SIGKILL)
            assert worker.wait(timeout=30) == -signal.SIGKILL
        killed = job_row(stack, job_id)
        assert killed.status == "downloading" and killed.attempts == 1
        assert list((stack.video_dir / ".incoming").glob(f"dl-{job_id}-*"))  # its partial file
        # No heartbeat arrives any more: once it is stale, the reaper hands the job out again.
        later = utcnow() + timedelta(seconds=stack.container.settings.job_stale_after_seconds + 1)
        assert stack.container.downloads.reap_stale(now=later)["requeued"] == 1
        requeued = stack.client.get(
            f"/api/download-youtube/status/{job_id}", headers=headers
        ).json()
        assert requeued["status"] == "queued"
        assert list((stack.video_dir / ".incoming").glob(f"dl-{job_id}-*")) == []
        host.release()
        stack.worker()
        final = wait_for(
            lambda: (
                (
                    s := stack.client.get(
                        f"/api/download-youtube/status/{job_id}", headers=headers
                    ).json()
                )["status"]
                == "completed"
                and s
            ),
            what="the retried job to complete",
        )
    assert final["attempts"] == 2
    assert files_under(stack.video_dir) == [stack.video_dir / final["filename"]]


def _running_job(stack: VideoStack, *, attempts: int, max_attempts: int, age_s: float) -> str:
    job_id = f"job{attempts}{max_attempts}{int(age_s)}"
    beat = utcnow() - timedelta(seconds=age_s)
    with stack.container.db.write() as session:
        session.add(
            DownloadJob(
                id=job_id,
                status="downloading",
                url="http://127.0.0.1:9/v.mp4",
                requested_by_email=SYSTEM.email,
                attempts=attempts,
                max_attempts=max_attempts,
                heartbeat_at=beat,
                started_at=beat,
                queued_at=beat,
                updated_at=beat,
            )
        )
    return job_id


def test_the_reaper_requeues_a_silent_job_and_fails_it_once_attempts_run_out(
    video_stack: StackFactory,
) -> None:
    stack = video_stack(job_stale_after_seconds=60)
    downloads = stack.container.downloads
    retry = _running_job(stack, attempts=1, max_attempts=2, age_s=120)
    exhausted = _running_job(stack, attempts=2, max_attempts=2, age_s=120)
    alive = _running_job(stack, attempts=1, max_attempts=2, age_s=5)
    outcome = downloads.reap_stale()
    assert (outcome["requeued"], outcome["failed"]) == (1, 1)
    assert job_row(stack, retry).status == "queued"
    assert stack.container.queue.pending() == 1  # enqueued again, after its row was committed
    failed = job_row(stack, exhausted)
    assert failed.status == "failed"
    assert failed.error == "The worker stopped during the download 2 times; giving up"
    assert job_row(stack, alive).status == "downloading"


def test_retention_deletes_old_unlinked_videos_and_keeps_linked_ones(
    video_stack: StackFactory, samples: Samples
) -> None:
    stack = video_stack(video_retention_days=30)
    headers = stack.headers()
    library = stack.container.videos
    kept = stack.client.post(
        "/api/upload-video",
        files={"video": ("a.mp4", samples.vertical.read_bytes())},
        headers=headers,
    ).json()
    dropped = stack.client.post(
        "/api/upload-video",
        files={"video": ("b.mp4", samples.landscape.read_bytes())},
        headers=headers,
    ).json()
    entry = add_entry(stack.client, headers)
    library.fill_entry(SYSTEM, entry["id"], library.get(kept["filename"]))
    assert library.delete_expired(now=utcnow() + timedelta(days=29)) == 0
    assert library.delete_expired(now=utcnow() + timedelta(days=31)) == 1
    assert files_under(stack.video_dir) == [stack.video_dir / kept["filename"]]
    assert (
        stack.client.get(f"/api/video-info/{dropped['filename']}", headers=headers).status_code
        == 404
    )
    assert "retention_deleted" in (stack.root / "logs" / "video_uploads.log").read_text()


def test_a_download_stores_through_the_same_library_as_uploads(
    video_stack: StackFactory, samples: Samples, tmp_path: Path
) -> None:
    stack = video_stack()
    copy = tmp_path / "copy.mp4"
    copy.write_bytes(samples.square.read_bytes())
    video, duplicate = stack.container.videos.ingest(
        copy, None, Provenance(source="download", actor=SYSTEM, source_url="https://x.test/v")
    )
    assert duplicate is False and video.is_short is True
    assert (stack.video_dir / video.filename).read_bytes() == samples.square.read_bytes()


def _job_of(stack: VideoStack, job_id: str, email: str, status: str, minutes_ago: int) -> None:
    """A job row as its requester left it, queued a given time ago."""
    when = utcnow() - timedelta(minutes=minutes_ago)
    finished = status in ("completed", "failed", "cancelled")
    with stack.container.db.write() as session:
        session.add(
            DownloadJob(
                id=job_id,
                status=status,
                url=f"http://127.0.0.1:9/{job_id}.mp4",
                requested_by_email=email,
                max_attempts=2,
                error="Cancelled by request" if status == "cancelled" else None,
                queued_at=when,
                updated_at=when,
                finished_at=when if finished else None,
            )
        )


def test_recent_jobs_are_the_actors_own_newest_first_and_everyones_for_an_admin(
    video_stack: StackFactory,
) -> None:
    stack = video_stack()
    downloads = stack.container.downloads
    alice = Actor(user_id=None, email="alice.recent@adda247.com", role=Role.contributor)
    bob = Actor(user_id=None, email="bob.recent@adda247.com", role=Role.editor)
    admin = Actor(user_id=None, email="admin.recent@adda247.com", role=Role.admin)
    # Inserted out of order, so that only the ordering by queue time can put them right.
    _job_of(stack, "alicemiddle", alice.email, "completed", minutes_ago=20)
    _job_of(stack, "bobnewest", bob.email, "queued", minutes_ago=1)
    _job_of(stack, "alicenewest", alice.email, "downloading", minutes_ago=5)
    _job_of(stack, "aliceoldest", alice.email, "cancelled", minutes_ago=90)
    _job_of(stack, "bobold", bob.email, "failed", minutes_ago=60)

    def ids(actor: Actor, limit: int = 10) -> list[str]:
        return [job["download_id"] for job in downloads.recent(actor, limit=limit)]

    assert ids(alice) == ["alicenewest", "alicemiddle", "aliceoldest"]
    assert ids(bob) == ["bobnewest", "bobold"], "an editor sees only their own"
    assert ids(admin) == ["bobnewest", "alicenewest", "alicemiddle", "bobold", "aliceoldest"]
    assert ids(admin, limit=2) == ["bobnewest", "alicenewest"]
    assert ids(alice, limit=1) == ["alicenewest"]
    assert ids(Actor(user_id=None, email="nobody@adda247.com", role=Role.contributor)) == []
    assert downloads.recent(alice) == [downloads.status(alice, job_id) for job_id in ids(alice)], (
        "each job is described as its status is"
    )
    assert [job["status"] for job in downloads.recent(alice)] == [
        "downloading",
        "completed",
        "cancelled",
    ]
    for bad in (0, -1, 101):
        with pytest.raises(Invalid) as refused:
            downloads.recent(alice, limit=bad)
        assert refused.value.field == "limit"
