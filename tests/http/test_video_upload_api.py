"""POST /api/upload-video with real MP4 files: metadata, Shorts verdict, refusals that leave
nothing on disk, content-addressed storage, idempotency, and the library reads."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import update

from adda_dashboard.db.models import Video
from adda_dashboard.domain.roles import Role
from tests.factories import add_entry
from tests.video_fixtures import VideoStack
from tests.video_support import Samples, files_under, multipart_upload

StackFactory = Callable[..., VideoStack]


def stored_files(stack: VideoStack) -> list[Path]:
    return files_under(stack.video_dir)


@pytest.mark.parametrize(
    ("sample", "size", "qualifies", "warning"),
    [
        ("vertical", (36, 64), True, None),
        ("square", (48, 48), True, None),
        ("landscape", (64, 36), False, "landscape (64x36)"),
        ("long_vertical", (36, 64), False, "lasts 3:01"),
    ],
)
def test_upload_reports_metadata_and_shorts_verdict(
    video_stack: StackFactory,
    samples: Samples,
    sample: str,
    size: tuple[int, int],
    qualifies: bool,
    warning: str | None,
) -> None:
    stack = video_stack()
    path: Path = getattr(samples, sample)
    response = multipart_upload(
        stack.client,
        path,
        headers=stack.headers(),
        data={"contentType": "Content", "status": "Final"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    meta = body["metadata"]
    assert (meta["width"], meta["height"]) == size
    assert meta["codec"] == "h264" and meta["container"] == "mp4"
    assert meta["frame_rate"] == 1.0
    expected_duration = {"vertical": 2, "square": 3, "landscape": 2, "long_vertical": 181}[sample]
    assert meta["duration"] == pytest.approx(expected_duration, abs=0.05)
    assert body["is_short"] is qualifies
    assert body["shorts"]["qualifies"] is qualifies
    if warning is None:
        assert body["shorts"]["warnings"] == []
    else:
        assert any(warning in w for w in body["shorts"]["warnings"]), body["shorts"]
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    assert body["sha256"] == sha
    assert body["filename"] == f"{sha}.mp4"
    assert body["saved_locally"] is True and body["uploaded_to_drive"] is False
    assert body["content_type"] == "Content"
    assert stored_files(stack) == [stack.video_dir / f"{sha}.mp4"]
    stored = stack.client.get(f"/api/video-info/{body['filename']}", headers=stack.headers())
    assert stored.json()["shorts"] == body["shorts"]


@pytest.mark.parametrize(
    ("case", "status"),
    [
        ("png_named_mp4", 415),
        ("truncated", 415),
        ("truncated_faststart", 415),
        ("empty", 400),
        ("text", 415),
    ],
)
def test_files_that_are_not_whole_videos_are_refused_and_leave_nothing(
    video_stack: StackFactory, samples: Samples, tmp_path: Path, case: str, status: int
) -> None:
    stack = video_stack()
    whole = samples.vertical.read_bytes()
    if case == "truncated_faststart":
        import av

        source = tmp_path / "faststart.mp4"
        with (
            av.open(str(samples.vertical)) as src,
            av.open(str(source), "w", options={"movflags": "+faststart"}) as out,
        ):
            stream = out.add_stream_from_template(src.streams.video[0])
            for packet in src.demux(src.streams.video[0]):
                if packet.dts is not None:
                    packet.stream = stream
                    out.mux(packet)
        assert source.read_bytes()[24:40].find(b"moov") >= 0  # the index really is in front
        whole = source.read_bytes()
    content = {
        "png_named_mp4": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 200,
        "truncated": whole[: len(whole) // 2],
        "truncated_faststart": whole[: len(whole) - 100],
        "empty": b"",
        "text": b"just some text, not a video at all\n" * 20,
    }[case]
    response = multipart_upload(
        stack.client, None, headers=stack.headers(), name="clip.mp4", content=content
    )
    assert response.status_code == status, response.text
    assert response.json()["success"] is False
    assert response.json()["field"] == "video"
    assert stored_files(stack) == []
    assert stack.client.get("/api/videos/list", headers=stack.headers()).json()["count"] == 0


def test_a_path_in_the_file_name_never_reaches_the_file_system(
    video_stack: StackFactory, samples: Samples
) -> None:
    stack = video_stack()
    headers = stack.headers()
    evil = "../../etc/passwd.mp4"
    accepted = multipart_upload(stack.client, samples.vertical, headers=headers, name=evil)
    assert accepted.status_code == 200, accepted.text
    body = accepted.json()
    assert body["original_name"] == "passwd.mp4"
    assert "/" not in body["filename"] and ".." not in body["filename"]
    refused = multipart_upload(
        stack.client, None, headers=headers, name=evil, content=b"root:x:0:0:root:/root:/bin/bash\n"
    )
    assert refused.status_code == 415
    everything = files_under(stack.root)
    assert stack.video_dir / body["filename"] in everything
    assert not any(p.name == "passwd.mp4" or "etc" in p.parts for p in everything)
    assert stored_files(stack) == [stack.video_dir / body["filename"]]


def _padded_mp4(size: int) -> bytes:
    ftyp = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"
    return ftyp + b"\x00" * (size - len(ftyp))


def test_oversize_upload_with_declared_length_gets_413_and_leaves_nothing(
    video_stack: StackFactory,
) -> None:
    stack = video_stack(video_max_upload_mb=1)
    response = multipart_upload(
        stack.client, None, headers=stack.headers(), content=_padded_mp4(2 * 1024 * 1024)
    )
    assert response.status_code == 413
    assert response.json()["field"] == "video"
    assert stored_files(stack) == []


def test_oversize_streamed_upload_without_length_gets_413_and_leaves_nothing(
    video_stack: StackFactory,
) -> None:
    stack = video_stack(video_max_upload_mb=1)
    boundary = "videoboundary"

    def body() -> Iterator[bytes]:
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="video"; '
            f'filename="big.mp4"\r\nContent-Type: video/mp4\r\n\r\n'
        ).encode()
        payload = _padded_mp4(3 * 1024 * 1024)
        for start in range(0, len(payload), 64 * 1024):
            yield payload[start : start + 64 * 1024]
        yield f"\r\n--{boundary}--\r\n".encode()

    response = stack.client.post(
        "/api/upload-video",
        content=body(),
        headers={**stack.headers(), "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 413
    assert stored_files(stack) == []


def test_the_same_bytes_uploaded_twice_are_stored_once(
    video_stack: StackFactory, samples: Samples
) -> None:
    stack = video_stack()
    headers = stack.headers()
    first = multipart_upload(stack.client, samples.landscape, headers=headers, name="a.mp4")
    second = multipart_upload(stack.client, samples.landscape, headers=headers, name="b.mp4")
    assert (first.status_code, second.status_code) == (200, 200)
    assert first.json()["duplicate"] is False
    assert second.json()["duplicate"] is True
    assert second.json()["id"] == first.json()["id"]
    assert len(stored_files(stack)) == 1
    assert stack.client.get("/api/videos/list", headers=headers).json()["count"] == 1


def test_a_retry_with_the_same_idempotency_key_stores_one_video(
    video_stack: StackFactory, samples: Samples
) -> None:
    stack = video_stack()
    headers = {**stack.headers(), "Idempotency-Key": "upload-7f3a"}
    first = multipart_upload(stack.client, samples.square, headers=headers)
    retry = multipart_upload(stack.client, samples.square, headers=headers)
    assert (first.status_code, retry.status_code) == (200, 200)
    assert retry.json()["idempotent_replay"] is True
    assert retry.json()["id"] == first.json()["id"]
    # The key names the first answer: a retry is answered the same even with other bytes.
    other = multipart_upload(stack.client, samples.vertical, headers=headers)
    assert other.json()["id"] == first.json()["id"]
    assert len(stored_files(stack)) == 1
    assert stack.client.get("/api/videos/list", headers=headers).json()["count"] == 1


@pytest.mark.parametrize("role", [None, Role.viewer])
def test_uploads_need_a_contributor_token(
    video_stack: StackFactory, samples: Samples, role: Role | None
) -> None:
    stack = video_stack()
    headers = stack.headers(role) if role else {}
    response = multipart_upload(stack.client, samples.vertical, headers=headers)
    assert response.status_code == (401 if role is None else 403)
    assert stored_files(stack) == []


def test_a_request_without_a_video_part_is_a_400(video_stack: StackFactory) -> None:
    stack = video_stack()
    response = stack.client.post(
        "/api/upload-video",
        data={"contentType": "x"},
        files={"other": ("a.txt", b"abc", "text/plain")},
        headers=stack.headers(),
    )
    assert response.status_code == 400
    assert response.json()["error"] == "No video file provided"


def test_an_upload_naming_an_entry_fills_its_video_columns(
    video_stack: StackFactory, samples: Samples
) -> None:
    stack = video_stack()
    headers = stack.headers()
    entry = add_entry(stack.client, headers)
    response = multipart_upload(
        stack.client, samples.vertical, headers=headers, data={"entry_id": str(entry["id"])}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["entry"]["VideoId"] == body["video_id"] == body["sha256"]
    assert body["entry"]["Video Link"] == f"http://testserver/api/videos/file/{body['filename']}"
    history = stack.client.get(f"/api/entries/{entry['id']}/history", headers=headers).json()
    assert [h["action"] for h in history["history"]][-1] == "update"


def test_list_info_and_stats_come_from_the_database(
    video_stack: StackFactory, samples: Samples
) -> None:
    stack = video_stack()
    headers = stack.headers()
    a = multipart_upload(stack.client, samples.vertical, headers=headers).json()
    b = multipart_upload(stack.client, samples.landscape, headers=headers).json()
    (stack.video_dir / "stray.mp4").write_bytes(samples.square.read_bytes())  # not in the library
    listed = stack.client.get("/api/videos/list", headers=headers).json()
    assert listed["count"] == 2
    assert [v["filename"] for v in listed["videos"]] == [b["filename"], a["filename"]]
    assert {"filename", "size_bytes", "size_mb", "created", "modified"} <= set(listed["videos"][0])
    info = stack.client.get(f"/api/video-info/{a['filename']}", headers=headers).json()
    assert info["size_bytes"] == samples.vertical.stat().st_size
    missing = stack.client.get("/api/video-info/nope.mp4", headers=headers)
    assert missing.status_code == 404 and missing.json()["error"] == "Video not found"
    stats = stack.client.get("/api/videos/storage-stats", headers=headers).json()
    total = samples.vertical.stat().st_size + samples.landscape.stat().st_size
    assert (stats["video_count"], stats["total_size_bytes"]) == (2, total)
    assert stats["storage_path"] == "local"  # server paths only for admins
    admin = stack.headers(Role.admin)
    admin_stats = stack.client.get("/api/videos/storage-stats", headers=admin).json()
    assert admin_stats["storage_path"] == str(stack.video_dir.resolve())
    content = stack.client.get(f"/api/videos/file/{a['filename']}", headers=headers)
    assert content.content == samples.vertical.read_bytes()


def test_uploads_are_refused_while_free_disk_is_below_the_threshold(
    video_stack: StackFactory, samples: Samples
) -> None:
    stack = video_stack(video_min_free_disk_mb=1024 * 1024 * 1024)
    response = multipart_upload(stack.client, samples.vertical, headers=stack.headers())
    assert response.status_code == 507
    assert "low on disk space" in response.json()["error"]
    assert stored_files(stack) == []


def test_every_video_operation_is_written_to_the_video_log(
    video_stack: StackFactory, samples: Samples
) -> None:
    stack = video_stack()
    headers = stack.headers()
    multipart_upload(stack.client, samples.vertical, headers=headers)
    multipart_upload(stack.client, samples.vertical, headers=headers)
    multipart_upload(stack.client, None, headers=headers, content=b"not a video" * 10)
    text = (stack.root / "logs" / "video_uploads.log").read_text()
    assert "stored filename=" in text and "duplicate filename=" in text
    assert "rejected reason=" in text


def test_list_and_info_name_the_uploader_and_null_when_unknown(
    video_stack: StackFactory, samples: Samples
) -> None:
    stack = video_stack()
    alice, bob, viewer = stack.headers(), stack.headers(), stack.headers(Role.viewer)
    emails = {
        name: stack.client.get("/api/auth/me", headers=h).json()["user"]["email"]
        for name, h in (("alice", alice), ("bob", bob))
    }
    a = multipart_upload(stack.client, samples.vertical, headers=alice).json()
    b = multipart_upload(stack.client, samples.landscape, headers=bob).json()
    assert (a["uploaded_by"], b["uploaded_by"]) == (emails["alice"], emails["bob"])
    # The same bytes again are a duplicate: the one who first stored them stays the uploader.
    again = multipart_upload(stack.client, samples.vertical, headers=bob).json()
    assert again["duplicate"] is True and again["uploaded_by"] == emails["alice"]

    listed = stack.client.get("/api/videos/list", headers=viewer).json()["videos"]
    assert {v["filename"]: v["uploaded_by"] for v in listed} == {
        a["filename"]: emails["alice"],
        b["filename"]: emails["bob"],
    }
    info = stack.client.get(f"/api/video-info/{b['filename']}", headers=viewer).json()
    assert info["uploaded_by"] == emails["bob"]

    # A row that never recorded its uploader answers null, with the key still there.
    with stack.container.db.write() as session:
        session.execute(
            update(Video).where(Video.filename == a["filename"]).values(uploaded_by_email=None)
        )
    unknown = stack.client.get(f"/api/video-info/{a['filename']}", headers=viewer).json()
    assert "uploaded_by" in unknown and unknown["uploaded_by"] is None
    listed = stack.client.get("/api/videos/list", headers=viewer).json()["videos"]
    assert [v["uploaded_by"] for v in listed] == [emails["bob"], None]
