"""Videos in an S3-compatible bucket (AWS S3, MinIO, ...), through boto3's managed transfers,
which stream in parts and never hold a whole file."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from adda_dashboard.adapters.storage import StorageError, StoredObject, check_name
from adda_dashboard.settings import Settings

PART_SIZE = 8 * 1024 * 1024


class S3Storage:
    backend = "s3"

    def __init__(
        self,
        bucket: str,
        *,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
    ) -> None:
        if not bucket:
            raise StorageError("ADDA_S3_BUCKET must be set for the s3 storage backend")
        self.bucket = bucket
        self.prefix = prefix
        self._client_args: dict[str, Any] = {
            "endpoint_url": endpoint_url,
            "region_name": region,
            "aws_access_key_id": access_key_id,
            "aws_secret_access_key": secret_access_key,
        }
        self._client: Any = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> S3Storage:
        secret = settings.s3_secret_access_key
        return cls(
            settings.s3_bucket,
            prefix=settings.s3_prefix,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=secret.get_secret_value() if secret else None,
        )

    @property
    def client(self) -> Any:
        """One client for all threads: boto3 clients are thread-safe once created."""
        with self._lock:
            if self._client is None:
                import boto3
                from botocore.config import Config

                self._client = boto3.client(
                    "s3",
                    config=Config(retries={"mode": "standard", "max_attempts": 5}),
                    **self._client_args,
                )
            return self._client

    def _transfer(self) -> Any:
        from boto3.s3.transfer import TransferConfig

        return TransferConfig(
            multipart_threshold=PART_SIZE, multipart_chunksize=PART_SIZE, max_concurrency=2
        )

    def _key(self, name: str) -> str:
        return f"{self.prefix}{check_name(name)}"

    def save(self, source: BinaryIO, name: str, *, content_type: str) -> StoredObject:
        key = self._key(name)
        self.client.upload_fileobj(
            source,
            self.bucket,
            key,
            ExtraArgs={"ContentType": content_type},
            Config=self._transfer(),
        )
        return StoredObject(key=name, size=self.size(name))

    def save_file(self, path: Path, name: str, *, content_type: str) -> StoredObject:
        key = self._key(name)
        self.client.upload_file(
            str(path),
            self.bucket,
            key,
            ExtraArgs={"ContentType": content_type},
            Config=self._transfer(),
        )
        return StoredObject(key=name, size=self.size(name))

    @contextmanager
    def open(self, key: str) -> Iterator[BinaryIO]:
        body = self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"]
        try:
            yield body
        finally:
            body.close()

    def _head(self, key: str) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        try:
            return self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise

    def size(self, key: str) -> int:
        head = self._head(key)
        if head is None:
            raise FileNotFoundError(key)
        return int(head["ContentLength"])

    def exists(self, key: str) -> bool:
        return self._head(key) is not None

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def public_link(self, key: str) -> str | None:
        return None

    def location(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"
