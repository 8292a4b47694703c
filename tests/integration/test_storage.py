"""One suite for every storage backend: local disk, S3 (moto's server over real HTTP) and
Google Drive (a stand-in speaking the Drive v3 protocol on 127.0.0.1)."""

from __future__ import annotations

import io
import json
import os
import socket
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from adda_dashboard.adapters.storage import StorageError, VideoStorage, build_storage
from adda_dashboard.adapters.storage.gdrive import DriveStorage
from adda_dashboard.settings import Settings
from tests.drive_standin import DriveStandIn, service_account_key
from tests.video_fixtures import VideoStack
from tests.video_support import Samples, multipart_upload

BACKENDS = ("local", "s3", "gdrive")
BUCKET = "adda-videos"
S3_KEYS = {"s3_access_key_id": "testing", "s3_secret_access_key": "testing"}


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    import boto3

    boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    ).create_bucket(Bucket=BUCKET)
    yield endpoint
    server.stop()


@pytest.fixture(scope="module")
def drive() -> Iterator[DriveStandIn]:
    with DriveStandIn() as standin:
        yield standin


@pytest.fixture(scope="module")
def drive_key(drive: DriveStandIn, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("drive") / "service-account.json"
    path.write_text(json.dumps(service_account_key(f"{drive.endpoint}/token")))
    return path


@pytest.fixture
def backend_settings(
    moto_endpoint: str, drive: DriveStandIn, drive_key: Path, tmp_path: Path
) -> Callable[[str], dict[str, Any]]:
    def settings_for(backend: str) -> dict[str, Any]:
        if backend == "s3":
            return {
                "storage_backend": "s3",
                "s3_bucket": BUCKET,
                "s3_endpoint_url": moto_endpoint,
                "s3_prefix": f"t-{tmp_path.name}/",
                **S3_KEYS,
            }
        if backend == "gdrive":
            return {
                "storage_backend": "gdrive",
                "gdrive_folder_id": "folder-123",
                "gdrive_api_endpoint": drive.endpoint,
                "gdrive_credentials_file": drive_key,
                "gdrive_chunk_mb": 1,
            }
        return {"storage_backend": "local"}

    return settings_for


@pytest.fixture(params=BACKENDS)
def storage(
    request: pytest.FixtureRequest,
    backend_settings: Callable[[str], dict[str, Any]],
    tmp_path: Path,
) -> VideoStorage:
    settings = Settings(
        _env_file=None,
        var_dir=tmp_path / "var",  # type: ignore[call-arg]
        **backend_settings(request.param),
    )
    built = build_storage(settings)
    assert built.backend == request.param
    return built


def payload(size: int, seed: int = 1) -> bytes:
    return (bytes(range(256)) * (size // 256 + 1))[:size] + seed.to_bytes(4, "big")


def test_a_saved_stream_reads_back_identically(storage: VideoStorage, drive: DriveStandIn) -> None:
    data = payload(2_600_000)  # several resumable chunks on Drive, a multipart upload on S3
    stored = storage.save(io.BytesIO(data), "a1b2.mp4", content_type="video/mp4")
    if storage.backend == "gdrive":  # 1 MB chunks: the resumable protocol really was used
        session = next(s for s in drive.sessions.values() if s.metadata["name"] == "a1b2.mp4")
        assert session.chunks == 3
    assert stored.size == len(data)
    assert storage.exists(stored.key)
    assert storage.size(stored.key) == len(data)
    with storage.open(stored.key) as handle:
        assert handle.read() == data


def test_a_saved_file_reads_back_and_the_local_backend_moves_it(
    storage: VideoStorage, tmp_path: Path
) -> None:
    source = tmp_path / "var" / "videos" / ".incoming" / "staged.part"
    source.parent.mkdir(parents=True, exist_ok=True)
    data = payload(300_000, seed=2)
    source.write_bytes(data)
    stored = storage.save_file(source, "c3d4.mp4", content_type="video/mp4")
    with storage.open(stored.key) as handle:
        assert handle.read() == data
    if storage.backend == "local":
        assert not source.exists()


def test_a_stream_that_cannot_seek_is_still_saved(storage: VideoStorage) -> None:
    data = payload(700_000, seed=3)
    read_end, write_end = os.pipe()
    with os.fdopen(write_end, "wb") as writer:
        writer.write(data[:60_000])  # the rest is written while the backend reads
        with ThreadPoolExecutor(1) as pool, os.fdopen(read_end, "rb") as reader:
            saving = pool.submit(storage.save, reader, "e5f6.mp4", content_type="video/mp4")
            writer.write(data[60_000:])
            writer.close()
            stored = saving.result(timeout=60)
    assert storage.size(stored.key) == len(data)


def test_delete_removes_the_object_and_deleting_again_is_harmless(storage: VideoStorage) -> None:
    stored = storage.save(io.BytesIO(payload(1000)), "dead.mp4", content_type="video/mp4")
    storage.delete(stored.key)
    assert not storage.exists(stored.key)
    storage.delete(stored.key)
    with pytest.raises(FileNotFoundError):
        storage.size(stored.key)


@pytest.mark.parametrize("name", ["../escape.mp4", "a/b.mp4", ".hidden", "", "x" * 300])
def test_unsafe_names_are_refused(storage: VideoStorage, name: str) -> None:
    with pytest.raises(StorageError):
        storage.save(io.BytesIO(b"abc"), name, content_type="video/mp4")


def test_concurrent_saves_from_many_threads_all_land(storage: VideoStorage) -> None:
    blobs = {f"par{i}.mp4": payload(400_000, seed=10 + i) for i in range(6)}
    with ThreadPoolExecutor(6) as pool:
        stored = dict(
            zip(
                blobs,
                pool.map(
                    lambda item: storage.save(
                        io.BytesIO(item[1]), item[0], content_type="video/mp4"
                    ),
                    blobs.items(),
                ),
                strict=True,
            )
        )
    for name, data in blobs.items():
        with storage.open(stored[name].key) as handle:
            assert handle.read() == data


def test_public_link_only_where_the_backend_publishes(
    storage: VideoStorage, drive: DriveStandIn
) -> None:
    stored = storage.save(io.BytesIO(payload(5000)), "pub.mp4", content_type="video/mp4")
    if storage.backend != "gdrive":
        assert stored.public_link is None and storage.public_link(stored.key) is None
        return
    assert stored.public_link == f"https://drive.google.com/file/d/{stored.key}/view"
    saved = drive.files[stored.key]
    assert saved.parents == ["folder-123"] and saved.name == "pub.mp4"
    assert saved.permissions == [{"type": "anyone", "role": "reader"}]
    assert drive.token_requests >= 1  # the service-account key was exchanged for a token
    assert all(a == "Bearer standin-token" for a in drive.authorizations)


@pytest.mark.parametrize("backend", ["s3", "gdrive"])
def test_uploads_through_the_api_land_in_the_configured_backend(
    video_stack: Callable[..., VideoStack],
    samples: Samples,
    backend: str,
    backend_settings: Callable[[str], dict[str, Any]],
    drive: DriveStandIn,
) -> None:
    stack = video_stack(**backend_settings(backend))
    headers = stack.headers()
    response = multipart_upload(stack.client, samples.vertical, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["storage"] == backend
    assert body["saved_locally"] is False
    assert body["uploaded_to_drive"] is (backend == "gdrive")
    if backend == "gdrive":
        assert body["drive_link"] == body["shareable_link"] == body["link"]
        assert drive.files[body["video_id"]].data == samples.vertical.read_bytes()
    content = stack.client.get(f"/api/videos/file/{body['filename']}", headers=headers)
    assert content.content == samples.vertical.read_bytes()
    assert list((stack.video_dir / ".incoming").iterdir()) == []  # nothing staged is left


def _drive_storage(endpoint: str, drive_key: Path, tmp_path: Path) -> DriveStorage:
    settings = Settings(
        _env_file=None,
        var_dir=tmp_path / "var",  # type: ignore[call-arg]
        storage_backend="gdrive",
        gdrive_folder_id="folder-123",
        gdrive_api_endpoint=endpoint,
        gdrive_credentials_file=drive_key,
    )
    storage = build_storage(settings)
    assert isinstance(storage, DriveStorage)
    return storage


def test_drive_client_is_kept_after_an_answer_such_as_404(
    drive: DriveStandIn, drive_key: Path, tmp_path: Path
) -> None:
    storage = _drive_storage(drive.endpoint, drive_key, tmp_path)
    client = storage.service
    assert storage.exists("no-such-file") is False
    assert storage.service is client


def test_drive_client_is_rebuilt_after_a_connection_failure(
    drive_key: Path, tmp_path: Path
) -> None:
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        endpoint = f"http://127.0.0.1:{closed.getsockname()[1]}"
    storage = _drive_storage(endpoint, drive_key, tmp_path)
    client = storage.service
    with pytest.raises(OSError):
        storage.exists("any-file")  # refused, after the library's own retries
    assert storage.service is not client
