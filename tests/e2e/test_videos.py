"""The Videos page in a real browser: an upload with its progress bar and Shorts verdict,
download jobs followed live until they end (or are cancelled), and the library."""

from __future__ import annotations

import hashlib
import itertools
import re
import secrets
from pathlib import Path

import httpx
from playwright.sync_api import expect

from adda_dashboard.domain.roles import Role
from tests.e2e.conftest import api_token, make_user, shoot
from tests.video_support import serving, write_video

JOB_TIMEOUT_MS = 90_000
_shades = itertools.count(secrets.randbelow(200))


def unique_video(directory: Path, name: str, width: int = 36, height: int = 64) -> Path:
    """A real small MP4 whose bytes no other test stores (the library keeps one per content)."""
    path = directory / name
    seconds = 2 + secrets.randbelow(3)
    return write_video(path, width, height, seconds, shade=next(_shades) * 7 + 3)


def sha_name(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() + ".mp4"


def test_a_contributor_uploads_a_short_and_sees_it_reach_100_percent(signed_in, tmp_path):
    page, email = signed_in(Role.contributor)
    clip = unique_video(tmp_path, f"upload-{secrets.token_hex(4)}.mp4")
    stored = sha_name(clip)
    page.goto("/ui/videos")
    expect(page.get_by_role("heading", name="Upload a video")).to_be_visible()
    page.get_by_label("Video file").set_input_files(str(clip))
    page.get_by_label("Content type").first.select_option("Content")
    page.get_by_role("button", name="Upload", exact=True).click()

    bar = page.locator("#upload-progress")
    expect(page.locator("#upload-state")).to_have_text("Upload complete")
    expect(bar).to_have_js_property("max", 100)
    expect(bar).to_have_js_property("value", 100)
    expect(page.locator("#upload-percent")).to_have_text("100%")
    result = page.locator("#upload-result")
    expect(result).to_contain_text(f"Stored: {clip.name}")
    expect(result).to_contain_text("Qualifies as a Short")
    expect(result).to_contain_text("36×64")
    expect(page.get_by_label("Upload progress")).to_be_visible()

    # The library reloads itself with the new video, uploaded by this user.
    row = page.locator(f'tr[data-filename="{stored}"]')
    expect(row).to_contain_text(clip.name)
    expect(row).to_contain_text(email)
    expect(row).to_contain_text("Qualifies as a Short")
    shoot(page, "videos-upload")
    # The file behind the link is the uploaded one, served to the cookie session.
    answer = page.request.get(f"/ui/videos/file/{stored}")
    assert answer.status == 200 and answer.body() == clip.read_bytes()


def test_a_file_that_is_no_video_is_refused_next_to_the_file_field(signed_in):
    page, _ = signed_in(Role.contributor)
    page.goto("/ui/videos")
    page.get_by_label("Video file").set_input_files(
        {"name": "notes.mp4", "mimeType": "video/mp4", "buffer": b"just some text, not a video"}
    )
    page.get_by_role("button", name="Upload", exact=True).click()
    error = page.locator("#upload-video-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text(re.compile("video", re.I))
    expect(page.get_by_label("Video file")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#upload-state")).to_have_text("Upload failed")
    # A bad entry id is caught before anything is sent.
    page.get_by_label("Entry id").first.fill("twelve")
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.locator("#upload-entry_id-error")).to_contain_text("positive whole number")


def test_a_download_is_followed_live_until_it_completes(signed_in, tmp_path):
    page, _ = signed_in(Role.contributor)
    clip = unique_video(tmp_path, "download.mp4")
    page.goto("/ui/videos")
    expect(page.locator("#jobs-empty")).to_have_text("No downloads yet.")
    with serving(clip.read_bytes(), mode="gate") as host:
        page.get_by_label("Video link").fill(host.url)
        page.get_by_role("button", name="Start download").click()
        first = page.locator("#jobs .job").first
        expect(first).to_contain_text(host.url)
        job_id = first.get_attribute("data-job")
        assert job_id
        job = page.locator(f'#jobs .job[data-job="{job_id}"]')
        # Half the file is sent, then the host holds: the page shows the job running.
        expect(job).to_have_attribute("data-status", "downloading", timeout=JOB_TIMEOUT_MS)
        expect(job.get_by_role("button", name="Cancel download")).to_be_visible()
        # A reload keeps following it: the job is among the recent downloads, still live.
        page.reload()
        expect(page.get_by_role("heading", name="Recent downloads")).to_be_visible()
        expect(job).to_have_attribute("data-status", "downloading")
        expect(job).to_have_attribute("hx-trigger", "every 1s")
        expect(page.locator("#jobs-empty")).to_be_hidden()
        host.release()
        expect(job).to_have_attribute("data-status", "completed", timeout=JOB_TIMEOUT_MS)
    expect(job.locator("[data-role=job-status]")).to_have_text("Completed")
    expect(job.locator("progress")).to_have_js_property("value", 100)
    expect(job).to_contain_text("100%")
    expect(job).to_contain_text("Qualifies as a Short")
    expect(job.get_by_role("button", name="Cancel download")).to_have_count(0)
    expect(job).not_to_have_attribute("hx-trigger", re.compile("every"))
    expect(page.locator(f'tr[data-filename="{sha_name(clip)}"]')).to_be_visible()
    shoot(page, "videos-download")
    # Once it has ended, a reload shows how it ended.
    page.reload()
    expect(job).to_have_attribute("data-status", "completed")
    expect(job.locator("[data-role=job-status]")).to_have_text("Completed")
    expect(job).to_contain_text("Qualifies as a Short")
    expect(job).not_to_have_attribute("hx-trigger", re.compile("every"))
    expect(page.locator("#jobs .job")).to_have_count(1)
    shoot(page, "videos-recent-downloads")


def test_a_running_download_can_be_cancelled(signed_in, tmp_path):
    page, _ = signed_in(Role.contributor)
    clip = unique_video(tmp_path, "cancelled.mp4")
    page.goto("/ui/videos")
    with serving(clip.read_bytes(), mode="gate") as host:
        page.get_by_label("Video link").fill(host.url)
        page.get_by_role("button", name="Start download").click()
        job = page.locator("#jobs .job").first
        expect(job).to_have_attribute("data-status", "downloading", timeout=JOB_TIMEOUT_MS)
        job.get_by_role("button", name="Cancel download").click()
        expect(job).to_have_attribute("data-status", "cancelled")
        expect(job).to_contain_text("Download cancelled")
    expect(page.locator(f'tr[data-filename="{sha_name(clip)}"]')).to_have_count(0)


def test_a_bad_link_is_named_next_to_its_field(signed_in):
    page, _ = signed_in(Role.contributor)
    page.goto("/ui/videos")
    page.get_by_role("button", name="Start download").click()
    expect(page.locator("#download-youtube_url-error")).to_have_text(
        "Enter the link of the video to download"
    )
    page.get_by_label("Video link").fill("not a link at all")
    page.get_by_role("button", name="Start download").click()
    expect(page.locator("#download-youtube_url-error")).to_be_visible()
    expect(page.get_by_label("Video link")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#jobs .job")).to_have_count(0)


def test_a_viewer_on_a_phone_sees_the_library_without_the_forms(
    signed_in, e2e_container, base_url, tmp_path
):
    # A row of the library, stored behind the browser's back, so the table is there to measure.
    uploader = make_user(e2e_container, Role.contributor)
    clip = unique_video(tmp_path, f"phone-{secrets.token_hex(3)}.mp4")
    stored = httpx.post(
        f"{base_url}/api/upload-video",
        files={"video": (clip.name, clip.read_bytes(), "video/mp4")},
        headers={"Authorization": f"Bearer {api_token(base_url, uploader)}"},
        timeout=30,
    )
    assert stored.status_code == 200, stored.text
    page, _ = signed_in(Role.viewer, phone=True)
    page.goto("/ui/videos")
    expect(page.locator(f'tr[data-filename="{sha_name(clip)}"]')).to_contain_text(uploader)
    expect(page.get_by_role("heading", name="Library")).to_be_visible()
    expect(page.locator("#upload-form")).to_have_count(0)
    expect(page.locator("#download-form")).to_have_count(0)
    expect(page.locator("#stat-count")).to_have_text(re.compile(r"^\d+$"))
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide on a 390px screen"
    shoot(page, "videos-phone")


def test_the_forms_fit_a_phone_screen(signed_in, base_url):
    page, email = signed_in(Role.contributor, phone=True)
    # A download started through the API, with a long link, is among the recent downloads.
    long_url = "http://127.0.0.1:9/" + "a-rather-long-clip-name-" * 8 + "end.mp4"
    started = httpx.post(
        f"{base_url}/api/download-youtube",
        json={"youtube_url": long_url, "async": True},
        headers={"Authorization": f"Bearer {api_token(base_url, email)}"},
        timeout=30,
    )
    assert started.status_code == 202, started.text
    page.goto("/ui/videos")
    expect(page.locator("#upload-form")).to_be_visible()
    expect(page.locator("#download-form")).to_be_visible()
    job = page.locator(f'#jobs .job[data-job="{started.json()["download_id"]}"]')
    expect(job).to_contain_text(long_url)
    job.scroll_into_view_if_needed()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide on a 390px screen"
    shoot(page, "videos-recent-phone")


def test_the_library_page(signed_in, tmp_path):
    page, _ = signed_in(Role.contributor)
    page.goto("/ui/videos")
    clip = unique_video(tmp_path, f"wide-{secrets.token_hex(3)}.mp4", width=64, height=36)
    page.get_by_label("Video file").set_input_files(str(clip))
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.locator("#upload-result")).to_contain_text("Not a Short: The video is landscape")
    row = page.locator(f'tr[data-filename="{sha_name(clip)}"]')
    expect(row).to_contain_text("Not a Short")
    expect(row).to_contain_text("64×36")
    page.reload()
    expect(page.get_by_role("table")).to_be_visible()
    shoot(page, "videos")
