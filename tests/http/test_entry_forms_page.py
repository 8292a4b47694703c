"""The dashboard's entry forms, driven as a browser with htmx drives them: the session cookie plus
the page's anti-forgery token. Adding with choices that depend on the vertical and content type,
editing a row at the version it was loaded, conflicts, deleting with undo, and refusals that
leave the stored rows alone."""

from __future__ import annotations

import re
from typing import Any

from starlette.testclient import TestClient

from adda_dashboard.bootstrap import Container
from adda_dashboard.domain.roles import SYSTEM, Role
from tests import factories
from tests.factories import valid_entry
from tests.http.browser_support import HTMX, sign_in_browser


def browser(client: TestClient, container: Container, role: Role) -> tuple[str, dict[str, str]]:
    """Sign in through the form; returns the email and the headers htmx sends on a write."""
    email, csrf = sign_in_browser(client, container, role)
    return email, {**HTMX, "X-CSRF-Token": csrf}


def form(**overrides: str) -> dict[str, str]:
    """The add form's fields as a browser posts them (a Final entry)."""
    fields = {
        "Email": "",
        "Vertical Name": "SSC",
        "Exam Name": "CGL",
        "Subject": "Maths",
        "Type of Content": "Content",
        "Sub category": "Question",
        "Video Link": "https://youtube.com/shorts/abcdefghijk",
        "Edit": "Final",
        "Editor Brief": "",
        "Final Edited Link": "",
    }
    fields.update(overrides)
    return fields


def live(container: Container) -> list[dict[str, Any]]:
    return container.entries.legacy_list()["data"]


def stored(container: Container, entry_id: int) -> dict[str, Any] | None:
    return next((dict(r) for r in live(container) if r["id"] == entry_id), None)


def seeded(container: Container, email: str, **overrides: Any) -> dict[str, Any]:
    """An entry credited to ``email``, stored directly."""
    return container.entries.add(SYSTEM, valid_entry(Email=email, **overrides))


def option_values(html: str, select_id: str) -> list[str]:
    match = re.search(rf'<select id="{select_id}".*?</select>', html, re.S)
    assert match, f"no select #{select_id}"
    return re.findall(r'<option value="([^"]*)"', match.group(0))


# Adding ----------------------------------------------------------------------------------------


def test_the_add_form_offers_the_verticals_and_defaults_the_email_to_the_user(
    client: TestClient, container: Container
) -> None:
    email, _ = browser(client, container, Role.contributor)
    page = client.get("/ui/entries/new")
    assert page.status_code == 200
    assert "SSC" in option_values(page.text, "add-vertical")
    assert option_values(page.text, "add-exam") == [""], "no exams before a vertical is chosen"
    assert re.search(rf'name="Email"[^>]*value="{re.escape(email)}"', page.text)
    assert 'name="version"' not in page.text


def test_choosing_a_vertical_or_a_content_type_narrows_the_dependent_choices(
    client: TestClient, container: Container
) -> None:
    browser(client, container, Role.contributor)
    ssc = client.get(
        "/ui/entries/choices",
        params={"which": "vertical", "prefix": "add", "Vertical Name": "SSC"},
        headers=HTMX,
    )
    assert ssc.status_code == 200
    exams = option_values(ssc.text, "add-exam")
    assert {"All", "CGL", "CHSL"} <= set(exams)
    assert "JAIIB" not in exams  # a Bank Post exam
    assert "Maths" in option_values(ssc.text, "add-subject")
    assert 'hx-swap-oob="true"' in ssc.text  # the subject select is swapped alongside
    bank = client.get(
        "/ui/entries/choices",
        params={
            "which": "vertical",
            "prefix": "add",
            "Vertical Name": "Bank Post",
            "Exam Name": "CGL",
        },
        headers=HTMX,
    )
    assert "JAIIB" in option_values(bank.text, "add-exam")
    assert "CGL" not in option_values(bank.text, "add-exam"), "an exam of the old vertical goes"
    info = client.get(
        "/ui/entries/choices",
        params={"which": "content", "prefix": "add", "Type of Content": "Exam_Information"},
        headers=HTMX,
    )
    subs = option_values(info.text, "add-subcat")
    assert "Exam Pattern" in subs and "Question" not in subs
    refused = client.get("/ui/entries/choices", params={"prefix": '"><script>'}, headers=HTMX)
    assert refused.status_code == 400


def test_adding_through_the_form_stores_the_entry_the_api_would(
    client: TestClient, container: Container
) -> None:
    email, headers = browser(client, container, Role.contributor)
    response = client.post("/ui/entries/new", data=form(), headers=headers)
    assert response.status_code == 200, response.text
    [entry] = live(container)
    assert (entry["Email"], entry["Exam Name"], entry["Edit"]) == (email, "CGL", "Final")
    assert entry["VideoId"] == "abcdefghijk"
    assert f"Entry {entry['Sr no.']} added" in response.text
    assert f"#entry-{entry['id']}" in response.text
    # The next entry starts from the same vertical and exam, with a blank link.
    assert re.search(r'<option value="CGL" selected>', response.text)
    assert re.search(r'name="Video Link"[^>]*value=""', response.text)


def test_a_re_edit_entry_needs_no_final_only_fields(
    client: TestClient, container: Container
) -> None:
    _, headers = browser(client, container, Role.contributor)
    link = "https://drive.google.com/file/d/1AbCdEfGhIjKlMnOpQrStUvWxYz012345/view"
    fields = form(**{"Edit": "Re-edit", "Video Link": link})
    del fields["Editor Brief"], fields["Final Edited Link"]  # disabled fields are not posted
    assert client.post("/ui/entries/new", data=fields, headers=headers).status_code == 200
    [entry] = live(container)
    assert entry["Edit"] == "Re-edit"
    assert entry["VideoId"] == "1AbCdEfGhIjKlMnOpQrStUvWxYz012345"
    assert "Editor Brief" not in entry


def test_a_bad_value_is_named_next_to_its_field_and_nothing_is_stored(
    client: TestClient, container: Container
) -> None:
    _, headers = browser(client, container, Role.contributor)
    response = client.post("/ui/entries/new", data=form(**{"Exam Name": "JAIIB"}), headers=headers)
    assert response.status_code == 400
    error = re.search(
        r'<p class="field-error" id="add-exam-name-error"[^>]*>([^<]*)</p>', response.text
    )
    assert error and error.group(1) == "&#39;Exam Name&#39; is not an exam of SSC"
    assert re.search(r'<select id="add-exam"[^>]*aria-invalid="true"', response.text)
    # What was typed is kept.
    assert 'value="https://youtube.com/shorts/abcdefghijk"' in response.text
    missing = client.post("/ui/entries/new", data=form(**{"Vertical Name": ""}), headers=headers)
    assert missing.status_code == 400
    assert 'id="add-vertical-name-error"' in missing.text
    assert "is required" in missing.text
    assert live(container) == []


def test_a_contributor_cannot_credit_an_entry_to_someone_else(
    client: TestClient, container: Container
) -> None:
    _, headers = browser(client, container, Role.contributor)
    other = factories.make_user(container, Role.contributor)
    response = client.post("/ui/entries/new", data=form(Email=other), headers=headers)
    assert response.status_code == 403
    assert 'id="add-email-error"' in response.text
    assert live(container) == []


# Editing ---------------------------------------------------------------------------------------


def test_editing_a_row_saves_at_the_loaded_version_and_returns_the_row(
    client: TestClient, container: Container
) -> None:
    email, headers = browser(client, container, Role.contributor)
    entry = seeded(container, email)
    edit = client.get(f"/ui/entries/{entry['id']}/edit", headers=HTMX)
    assert edit.status_code == 200
    assert f'<tr id="entry-{entry["id"]}"' in edit.text
    assert re.search(rf'name="version" value="{entry["version"]}"', edit.text)
    assert "CGL" in option_values(edit.text, f"e{entry['id']}-exam")  # SSC's exams
    assert re.search(r'<option value="All" selected>', edit.text)
    fields = form(**{"Exam Name": "All", "Editor Brief": "tighter cut", "Email": email})
    saved = client.put(
        f"/ui/entries/{entry['id']}",
        data={**fields, "version": str(entry["version"])},
        headers=headers,
    )
    assert saved.status_code == 200, saved.text
    after = stored(container, entry["id"])
    assert after is not None
    assert after["Editor Brief"] == "tighter cut"
    assert after["version"] == entry["version"] + 1
    assert f'data-version="{after["version"]}"' in saved.text
    assert "tighter cut" in saved.text


def test_an_edit_row_keeps_the_final_only_values_of_a_re_edit_entry(
    client: TestClient, container: Container
) -> None:
    """A Re-edit record does not serve them, but they are stored: the form must not blank them."""
    email, headers = browser(client, container, Role.editor)
    entry = seeded(container, email, **{"Editor Brief": "keep me"})
    reedit = container.entries.update(SYSTEM, entry["id"], {"Edit": "Re-edit"})
    edit = client.get(f"/ui/entries/{entry['id']}/edit", headers=HTMX)
    assert ">keep me</textarea>" in edit.text
    assert re.search(r'<textarea id="e\d+-brief" name="Editor Brief" rows="2" disabled', edit.text)
    # Saved as Re-edit, the disabled field is not sent and the stored brief stays.
    fields = form(**{"Edit": "Re-edit", "Exam Name": "CGL", "Email": email})
    del fields["Editor Brief"], fields["Final Edited Link"]
    saved = client.put(
        f"/ui/entries/{entry['id']}",
        data={**fields, "version": str(reedit["version"])},
        headers=headers,
    )
    assert saved.status_code == 200, saved.text
    after = container.entries.editable(SYSTEM, entry["id"])
    assert (after["Exam Name"], after["Editor Brief"]) == ("CGL", "keep me")


def test_a_bad_value_in_a_row_is_said_next_to_the_field_and_changes_nothing(
    client: TestClient, container: Container
) -> None:
    email, headers = browser(client, container, Role.contributor)
    entry = seeded(container, email)
    response = client.put(
        f"/ui/entries/{entry['id']}",
        data={"Video Link": "not a link", "version": str(entry["version"])},
        headers=headers,
    )
    assert response.status_code == 400
    assert f'id="e{entry["id"]}-video-link-error"' in response.text
    assert "must be an http(s) URL" in response.text
    assert 'value="not a link"' in response.text
    assert re.search(rf'name="version" value="{entry["version"]}"', response.text)
    assert stored(container, entry["id"]) == entry


def test_a_save_without_its_version_is_refused(client: TestClient, container: Container) -> None:
    email, headers = browser(client, container, Role.contributor)
    entry = seeded(container, email)
    response = client.put(
        f"/ui/entries/{entry['id']}", data={"Editor Brief": "blind"}, headers=headers
    )
    assert response.status_code == 400
    assert response.headers["HX-Retarget"] == "#flash"
    assert stored(container, entry["id"]) == entry


def test_a_stale_save_shows_both_values_and_stores_nothing_until_overwrite_is_chosen(
    client: TestClient, container: Container
) -> None:
    email, headers = browser(client, container, Role.editor)
    entry = seeded(container, email)
    theirs = container.entries.update(SYSTEM, entry["id"], {"Editor Brief": "their brief"})
    mine = {"Editor Brief": "my brief", "Exam Name": "CGL", "version": str(entry["version"])}
    response = client.put(f"/ui/entries/{entry['id']}", data=mine, headers=headers)
    assert response.status_code == 409
    assert 'role="alert"' in response.text
    assert "Your value" in response.text and "Current value" in response.text
    row = re.search(r'<tr data-diff="Editor Brief">(.*?)</tr>', response.text, re.S)
    assert row and "my brief" in row.group(1) and "their brief" in row.group(1)
    assert 'data-diff="Exam Name"' in response.text  # CGL against the stored All
    assert stored(container, entry["id"]) == theirs
    # "Overwrite with mine" posts the hidden values with the version the conflict showed.
    hidden = dict(
        re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', response.text)
    )
    assert hidden == {**mine, "version": str(theirs["version"])}
    again = client.put(f"/ui/entries/{entry['id']}", data=hidden, headers=headers)
    assert again.status_code == 200, again.text
    after = stored(container, entry["id"])
    assert after is not None
    assert (after["Editor Brief"], after["Exam Name"]) == ("my brief", "CGL")


def test_a_stale_save_of_the_values_already_stored_is_no_conflict(
    client: TestClient, container: Container
) -> None:
    """Both made the same change: saving it again overwrites nothing of theirs."""
    email, headers = browser(client, container, Role.contributor)
    entry = seeded(container, email)
    theirs = container.entries.update(SYSTEM, entry["id"], {"Editor Brief": "same"})
    response = client.put(
        f"/ui/entries/{entry['id']}",
        data={"Editor Brief": "same", "version": str(entry["version"])},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    assert f'data-version="{theirs["version"]}"' in response.text
    assert stored(container, entry["id"]) == theirs


def test_keep_theirs_shows_the_current_row(client: TestClient, container: Container) -> None:
    email, _ = browser(client, container, Role.contributor)
    entry = seeded(container, email)
    theirs = container.entries.update(SYSTEM, entry["id"], {"Editor Brief": "their brief"})
    row = client.get(f"/ui/entries/{entry['id']}/row", headers=HTMX)
    assert row.status_code == 200
    assert f'data-version="{theirs["version"]}"' in row.text
    assert "their brief" in row.text


# Deleting and undoing --------------------------------------------------------------------------


def test_deleting_a_row_offers_undo_which_restores_it(
    client: TestClient, container: Container
) -> None:
    email, headers = browser(client, container, Role.contributor)
    entry = seeded(container, email)
    deleted = client.delete(f"/ui/entries/{entry['id']}", headers=headers)
    assert deleted.status_code == 200
    assert f"Entry {entry['Sr no.']} deleted." in deleted.text
    assert f'hx-post="/ui/entries/{entry["id"]}/restore"' in deleted.text
    assert stored(container, entry["id"]) is None
    restored = client.post(f"/ui/entries/{entry['id']}/restore", headers=headers)
    assert restored.status_code == 200
    assert f'<tr id="entry-{entry["id"]}"' in restored.text
    back = stored(container, entry["id"])
    assert back is not None
    assert {k: v for k, v in back.items() if k != "version"} == {
        k: v for k, v in entry.items() if k != "version"
    }


def test_a_delete_at_a_stale_version_is_refused(client: TestClient, container: Container) -> None:
    email, headers = browser(client, container, Role.contributor)
    entry = seeded(container, email)
    theirs = container.entries.update(SYSTEM, entry["id"], {"Editor Brief": "changed"})
    response = client.delete(
        f"/ui/entries/{entry['id']}", params={"version": entry["version"]}, headers=headers
    )
    assert response.status_code == 412
    assert stored(container, entry["id"]) == theirs


# Refusals --------------------------------------------------------------------------------------


def test_a_viewer_is_refused_every_write_and_nothing_changes(
    client: TestClient, container: Container
) -> None:
    _, headers = browser(client, container, Role.viewer)
    owner = factories.make_user(container, Role.contributor)
    entry = seeded(container, owner)
    gone = seeded(container, owner)
    container.entries.delete(SYSTEM, gone["id"])
    assert client.get("/ui/entries/new").status_code == 403
    refused = [
        client.post("/ui/entries/new", data=form(), headers=headers),
        client.get(f"/ui/entries/{entry['id']}/edit", headers=headers),
        client.put(
            f"/ui/entries/{entry['id']}",
            data={"Editor Brief": "x", "version": str(entry["version"])},
            headers=headers,
        ),
        client.delete(f"/ui/entries/{entry['id']}", headers=headers),
        client.post(f"/ui/entries/{gone['id']}/restore", headers=headers),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused)
    for response in refused:  # shown in the page's message area
        assert response.headers["HX-Retarget"] == "#flash"
        assert 'class="alert alert-error"' in response.text
    assert live(container) == [entry]


def test_another_contributor_cannot_edit_delete_or_restore_an_entry(
    client: TestClient, container: Container
) -> None:
    _, headers = browser(client, container, Role.contributor)
    owner = factories.make_user(container, Role.contributor)
    entry = seeded(container, owner)
    gone = seeded(container, owner)
    container.entries.delete(SYSTEM, gone["id"])
    refused = [
        client.get(f"/ui/entries/{entry['id']}/edit", headers=headers),
        client.put(
            f"/ui/entries/{entry['id']}",
            data={"Editor Brief": "x", "version": str(entry["version"])},
            headers=headers,
        ),
        client.delete(f"/ui/entries/{entry['id']}", headers=headers),
        client.post(f"/ui/entries/{gone['id']}/restore", headers=headers),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused)
    assert live(container) == [entry]


def test_writes_without_a_genuine_anti_forgery_token_are_refused_and_change_nothing(
    client: TestClient, container: Container
) -> None:
    email, headers = browser(client, container, Role.admin)
    entry = seeded(container, email)
    for token in (None, "f" * 64):
        bad = {**HTMX, **({"X-CSRF-Token": token} if token else {})}
        refused = [
            client.post("/ui/entries/new", data=form(), headers=bad),
            client.put(
                f"/ui/entries/{entry['id']}",
                data={"Editor Brief": "forged", "version": str(entry["version"])},
                headers=bad,
            ),
            client.delete(f"/ui/entries/{entry['id']}", headers=bad),
        ]
        assert [r.status_code for r in refused] == [403] * len(refused)
        assert all(r.json()["field"] == "X-CSRF-Token" for r in refused)
    assert live(container) == [entry]
    # The same writes with the page's token go through.
    assert client.delete(f"/ui/entries/{entry['id']}", headers=headers).status_code == 200
