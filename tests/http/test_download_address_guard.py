"""Downloads reach public addresses only, judged at every connection: when the URL is submitted,
on each redirect hop, for each URL yt-dlp finds in a page, and after every DNS answer.

The stand-in hosts listen on 127.0.0.1, opened to the worker by the loopback allowance. A
refused target is spelled so that it would land on a stand-in host of this machine if the guard
let it through (``[::ffff:127.0.0.1]`` from an IPv6 socket, ``0.0.0.0`` on Linux): "the target
received no request" is then a measurement, and no test ever sends a packet off this machine.
The rebinding test turns the allowance off and lets a DNS stand-in answer a public address
first and 127.0.0.1 second.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from adda_dashboard.settings import Settings
from tests.http.test_downloads_api import queue_download, wait_finished
from tests.video_fixtures import VideoStack
from tests.video_support import PageHost, RebindingResolver, Samples, files_under, serving

StackFactory = Callable[..., VideoStack]
PUBLIC = "93.184.216.34"  # never dialled: the resolver's first answer, judged at request time
# Spellings of this machine that are not loopback addresses, so no allowance opens them.
LOCAL_SPELLINGS = ("[::ffff:127.0.0.1]", "0.0.0.0")


def refused(address: str) -> str:
    return (
        f"The video host sent the download to a private or local address ({address}), "
        "which is not allowed"
    )


SSRF_SPELLINGS = (
    "http://100.64.0.1/",
    "http://100.100.100.200/latest/meta-data/",
    "http://[2002:7f00:1::]/",
    "http://[2002:a9fe:a9fe::]/",
    "http://[::ffff:169.254.169.254]/",
    "http://[64:ff9b::a9fe:a9fe]/",
    "http://168.63.129.16/",
    "http://0.0.0.0:8080/",
)


@pytest.mark.parametrize(
    ("url", "allow_loopback"),
    [(url, allow) for url in SSRF_SPELLINGS for allow in (True, False)]
    # 127.0.0.1 as one number, which the resolver reads as such; the allowance opens it.
    + [("http://2130706433/", False)],
)
def test_private_spellings_are_refused_when_requested_whatever_the_allowance(
    video_stack: StackFactory, url: str, allow_loopback: bool
) -> None:
    stack = video_stack(download_allow_loopback=allow_loopback)
    headers = stack.headers()
    response = stack.client.post(
        "/api/download-youtube", json={"youtube_url": url, "async": True}, headers=headers
    )
    assert response.status_code == 400, response.text
    assert response.json()["field"] == "youtube_url"
    assert "private or local address" in response.json()["error"]
    jobs = stack.client.get("/api/download-youtube/jobs", headers=headers).json()
    assert jobs["count"] == 0


@pytest.mark.parametrize("spelling", LOCAL_SPELLINGS)
def test_a_redirect_to_a_local_address_fails_the_job_without_reaching_it(
    video_stack: StackFactory, samples: Samples, spelling: str
) -> None:
    stack = video_stack(download_max_attempts=3)
    headers = stack.headers()
    with serving(samples.vertical.read_bytes()) as target, PageHost() as first:
        target_port = target.server.server_address[1]
        location = f"http://{spelling}:{target_port}/media/clip.mp4"
        first.answers["/watch"] = (302, {"Location": location}, b"")
        job = queue_download(stack, headers, first.url("/watch"))
        stack.worker()
        final = wait_finished(stack, headers, job["download_id"])
    assert final["status"] == "failed"
    assert final["error"] == refused(spelling.strip("[]"))
    assert final["tries"] == 1  # a refusal is not retried as network trouble
    assert first.requests == ["/watch"]
    assert target.gets == 0
    assert files_under(stack.video_dir) == []


@pytest.mark.parametrize("spelling", LOCAL_SPELLINGS)
def test_a_video_named_by_a_page_on_a_local_address_fails_the_job_without_reaching_it(
    video_stack: StackFactory, samples: Samples, spelling: str
) -> None:
    stack = video_stack(download_max_attempts=3)
    headers = stack.headers()
    with serving(samples.vertical.read_bytes()) as target, PageHost() as page:
        target_port = target.server.server_address[1]
        html = (
            "<!doctype html><html><head><title>A clip</title></head><body>"
            f'<video src="http://{spelling}:{target_port}/x.mp4"></video></body></html>'
        )
        page.answers["/clip.html"] = (200, {"Content-Type": "text/html"}, html.encode())
        job = queue_download(stack, headers, page.url("/clip.html"))
        stack.worker()
        final = wait_finished(stack, headers, job["download_id"])
    assert final["status"] == "failed"
    assert final["error"] == refused(spelling.strip("[]"))
    assert final["tries"] == 1
    assert page.requests == ["/clip.html"]
    assert target.gets == 0


def test_a_page_naming_its_video_on_an_allowed_address_still_downloads(
    video_stack: StackFactory, samples: Samples
) -> None:
    """The control for the test above: the same page, with a URL the guard lets through."""
    stack = video_stack()
    headers = stack.headers()
    with serving(samples.vertical.read_bytes()) as target, PageHost() as page:
        html = f'<html><body><video src="{target.url}"></video></body></html>'
        page.answers["/clip.html"] = (200, {"Content-Type": "text/html"}, html.encode())
        job = queue_download(stack, headers, page.url("/clip.html"))
        stack.worker()
        final = wait_finished(stack, headers, job["download_id"])
    assert final["status"] == "completed", final.get("error")
    assert target.gets >= 1


def test_a_name_that_rebinds_to_loopback_after_the_check_is_refused_at_connect_time(
    video_stack: StackFactory, samples: Samples
) -> None:
    resolver = RebindingResolver([PUBLIC], ["127.0.0.1"])
    stack = video_stack(resolver=resolver, download_allow_loopback=False, download_max_attempts=3)
    headers = stack.headers()
    with serving(samples.vertical.read_bytes()) as host:
        port = host.server.server_address[1]
        job = queue_download(stack, headers, f"http://video.test:{port}/media/clip.mp4")
        assert resolver.asked == ["video.test"]  # judged public when requested
        stack.worker()
        final = wait_finished(stack, headers, job["download_id"])
    assert final["status"] == "failed"
    assert final["error"] == refused("127.0.0.1")
    assert final["tries"] == 1
    assert resolver.asked == ["video.test", "video.test"]  # resolved once more, to connect
    assert host.gets == 0


def test_a_name_answered_with_a_public_and_a_private_address_is_refused(
    video_stack: StackFactory,
) -> None:
    resolver = RebindingResolver([PUBLIC, "10.1.2.3"])
    stack = video_stack(resolver=resolver, download_allow_loopback=False)
    response = stack.client.post(
        "/api/download-youtube",
        json={"youtube_url": "https://mixed.test/v", "async": True},
        headers=stack.headers(),
    )
    assert response.status_code == 400
    body: dict[str, Any] = response.json()
    assert body["field"] == "youtube_url"
    assert "(10.1.2.3)" in body["error"]


def test_the_former_setting_name_still_opens_loopback_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ADDA_DOWNLOAD_ALLOW_PRIVATE", "true")
    assert Settings(_env_file=None).download_allow_loopback is True  # type: ignore[call-arg]
    monkeypatch.delenv("ADDA_DOWNLOAD_ALLOW_PRIVATE")
    assert Settings(_env_file=None).download_allow_loopback is False  # type: ignore[call-arg]
