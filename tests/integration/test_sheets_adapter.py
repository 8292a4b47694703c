"""The Sheets adapter over real HTTP: Google's client and google-auth against the local stand-in
(the Sheets v4 calls and the OAuth token endpoint), no database."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from adda_dashboard.adapters.sheets import (
    RetryPolicy,
    SheetsClient,
    SheetsNotConfigured,
    SheetsRefused,
    SheetsUnavailable,
    a1,
    column_letters,
)
from adda_dashboard.settings import Settings
from tests.sheets_standin import SheetsStandIn

FAST = RetryPolicy(attempts=3, first_wait_s=0.01, max_wait_s=0.05)
HEADER = ["Ticket ID", "Status"]


@pytest.fixture
def standin() -> Iterator[SheetsStandIn]:
    with SheetsStandIn() as server:
        server.add_tab("Final", 0, [["Sr no.", "Email"], [1, "a@adda247.com"], [2.0, ""]])
        server.add_tab("Drive Links", 1507772277, [["Sr no.", "Edit"], ["3", "Re-edit", "", ""]])
        server.add_tab("It's done", 5, [["x"]])
        server.add_tab("Tickets", 699848763, [HEADER])
        yield server


def settings_for(server: SheetsStandIn, key: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "sheets_spreadsheet_id": server.spreadsheet_id,
        "sheets_credentials_file": key,
        "sheets_api_url": server.endpoint,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


@pytest.fixture
def client(standin: SheetsStandIn, tmp_path: Path) -> SheetsClient:
    key = standin.key_file(tmp_path / "key.json")
    return SheetsClient.from_settings(settings_for(standin, key), retry=FAST)


def test_metadata_names_every_tab_by_gid_with_its_grid(client: SheetsClient) -> None:
    info = client.metadata()
    assert [(t.gid, t.title, t.index) for t in info.tabs] == [
        (0, "Final", 0),
        (1507772277, "Drive Links", 1),
        (5, "It's done", 2),
        (699848763, "Tickets", 3),
    ]
    reedit = info.tab_by_gid(1507772277)
    assert reedit is not None and (reedit.row_count, reedit.column_count) == (1000, 26)
    assert info.tab_by_title("Tickets") == info.tabs[3] and info.tab_by_gid(42) is None


def test_tabs_are_read_whole_by_quoted_title_in_one_request(
    client: SheetsClient, standin: SheetsStandIn
) -> None:
    tabs = client.read_tabs(["Final", "Drive Links", "It's done"])
    assert tabs == {
        "Final": [["Sr no.", "Email"], ["1", "a@adda247.com"], ["2"]],  # numbers as shown
        "Drive Links": [["Sr no.", "Edit"], ["3", "Re-edit"]],
        "It's done": [["x"]],
    }
    [call] = [c for c in standin.calls if c.method == "values.batchGet"]
    assert call.params["ranges"] == ["'Final'", "'Drive Links'", "'It''s done'"]
    assert client.read_range(a1("Drive Links", "A2:B2")) == [["3", "Re-edit"]]


def test_the_token_is_fetched_once_and_the_client_kept_per_thread(
    client: SheetsClient, standin: SheetsStandIn
) -> None:
    service = client.service
    for _ in range(3):
        client.metadata()
    assert client.service is service
    assert standin.token_requests == 1
    with ThreadPoolExecutor(1) as pool:
        other = pool.submit(lambda: (client.metadata(), client.service)[1]).result()
    assert other is not service  # httplib2 is not thread-safe: each thread has its own


def test_a_revoked_token_is_replaced_without_the_caller_noticing(
    client: SheetsClient, standin: SheetsStandIn
) -> None:
    client.metadata()
    standin.revoke_tokens()
    assert client.read_tabs(["Tickets"]) == {"Tickets": [HEADER]}
    assert standin.token_requests == 2


def test_appended_rows_land_after_the_last_row_as_typed(
    client: SheetsClient, standin: SheetsStandIn
) -> None:
    first = client.append_rows("Tickets", [["TKT-1", "Open"], ["=1+1", "Closed"]])
    second = client.append_rows("Tickets", [["TKT-3", "Open"]])
    assert (first.first_row, first.last_row, second.first_row) == (2, 3, 4)
    assert standin.values("Tickets") == [
        HEADER,
        ["TKT-1", "Open"],
        ["=1+1", "Closed"],  # RAW: a formula stays text
        ["TKT-3", "Open"],
    ]


def test_ranges_are_updated_together_and_rows_deleted_bottom_first(
    client: SheetsClient, standin: SheetsStandIn
) -> None:
    client.append_rows("Tickets", [[f"TKT-{n}", "Open"] for n in range(1, 8)])  # rows 2..8
    cells = client.update_ranges(
        {a1("Tickets", "B2"): [["Closed"]], a1("Tickets", "A9:B9"): [["TKT-8", "Resolved"]]}
    )
    assert cells == 3
    assert client.delete_rows(699848763, [3, 4, 7]) == 3
    assert [row[0] for row in standin.values("Tickets")] == [
        "Ticket ID",
        "TKT-1",
        "TKT-4",
        "TKT-5",
        "TKT-7",
        "TKT-8",
    ]
    assert standin.values("Tickets")[1] == ["TKT-1", "Closed"]
    assert standin.methods().count("spreadsheets.batchUpdate") == 1


def test_a_tab_is_rewritten_whole(client: SheetsClient, standin: SheetsStandIn) -> None:
    client.append_rows("Tickets", [["TKT-1", "Open"], ["TKT-2", "Open"]])
    client.rewrite_tab("Tickets", [HEADER, ["TKT-9", "Closed"]])
    assert standin.values("Tickets") == [HEADER, ["TKT-9", "Closed"]]
    client.rewrite_tab("Tickets", [])
    assert standin.values("Tickets") == []


@pytest.mark.parametrize("status", [429, 500, 503])
def test_reads_are_retried_through_transient_errors(
    client: SheetsClient, standin: SheetsStandIn, status: int
) -> None:
    standin.fail(status, times=2, on="reads")
    assert client.metadata().tabs[0].title == "Final"
    assert standin.methods() == ["spreadsheets.get"]  # the refused tries never got through


def test_reads_give_up_in_plain_words_when_the_errors_last(
    client: SheetsClient, standin: SheetsStandIn
) -> None:
    standin.fail(429, seconds=30, on="reads", retry_after="7")
    with pytest.raises(SheetsUnavailable) as caught:
        client.read_tabs(["Final"])
    assert "limiting requests (429)" in caught.value.message
    assert caught.value.retry_after == 7.0 and caught.value.status_code == 503


def test_writes_are_never_retried(client: SheetsClient, standin: SheetsStandIn) -> None:
    standin.fail(503, times=1, on="writes")
    with pytest.raises(SheetsUnavailable, match=r"failed \(503\)"):
        client.append_rows("Tickets", [["TKT-1", "Open"]])
    assert standin.values("Tickets") == [HEADER]
    client.append_rows("Tickets", [["TKT-1", "Open"]])
    assert standin.values("Tickets") == [HEADER, ["TKT-1", "Open"]]


def test_a_wrong_spreadsheet_id_names_the_setting_and_the_account_to_share_with(
    standin: SheetsStandIn, tmp_path: Path
) -> None:
    key = standin.key_file(tmp_path / "key.json", name="mover")
    client = SheetsClient.from_settings(
        settings_for(standin, key, sheets_spreadsheet_id="someone-elses"), retry=FAST
    )
    with pytest.raises(SheetsRefused) as caught:
        client.metadata()
    message = caught.value.message
    assert "(404)" in message and "ADDA_SHEETS_SPREADSHEET_ID" in message
    assert "mover@adda-standin.iam.gserviceaccount.com" in message
    assert standin.calls == []


def test_a_bad_range_is_refused_at_once(client: SheetsClient, standin: SheetsStandIn) -> None:
    with pytest.raises(SheetsRefused, match=r"\(400\): Unable to parse range"):
        client.read_tabs(["No such tab"])
    assert standin.methods() == ["values.batchGet"]  # not retried


def test_a_key_google_does_not_know_is_refused_in_plain_words(
    standin: SheetsStandIn, tmp_path: Path
) -> None:
    with SheetsStandIn() as stranger:  # its key is not one the stand-in issued
        key = tmp_path / "stranger.json"
        data = stranger.service_account_key()
        key.write_text(json.dumps({**data, "token_uri": standin.token_uri}))
        client = SheetsClient.from_settings(settings_for(standin, key), retry=FAST)
        with pytest.raises(SheetsRefused, match="refused the service account's key"):
            client.metadata()


def test_no_connection_is_transient_and_the_client_is_rebuilt(
    standin: SheetsStandIn, tmp_path: Path
) -> None:
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        nowhere = f"http://127.0.0.1:{closed.getsockname()[1]}/"
    key = standin.key_file(tmp_path / "key.json")
    client = SheetsClient.from_settings(settings_for(standin, key, sheets_api_url=nowhere), FAST)
    service = client.service
    with pytest.raises(SheetsUnavailable, match="could not be reached"):
        client.metadata()
    assert client.service is not service


def test_missing_settings_are_said_before_any_request(tmp_path: Path) -> None:
    with pytest.raises(SheetsNotConfigured, match="ADDA_SHEETS_SPREADSHEET_ID"):
        SheetsClient.from_settings(Settings(_env_file=None))  # type: ignore[call-arg]
    unset = Settings(_env_file=None, sheets_spreadsheet_id="abc")  # type: ignore[call-arg]
    with pytest.raises(SheetsNotConfigured, match="ADDA_SHEETS_CREDENTIALS_FILE"):
        SheetsClient.from_settings(unset)
    missing = Settings(
        _env_file=None,  # type: ignore[call-arg]
        sheets_spreadsheet_id="abc",
        sheets_credentials_file=tmp_path / "nope.json",
    )
    with pytest.raises(SheetsNotConfigured, match="not a readable service-account key"):
        SheetsClient.from_settings(missing)


def test_the_standin_counts_writes_and_answers_429_past_its_budget(
    client: SheetsClient, standin: SheetsStandIn
) -> None:
    standin.write_limit_per_minute = 2
    client.append_rows("Tickets", [["TKT-1", "Open"]])
    client.update_ranges({a1("Tickets", "B2"): [["Closed"]]})
    with pytest.raises(SheetsUnavailable, match="Quota exceeded"):
        client.append_rows("Tickets", [["TKT-2", "Open"]])
    assert standin.writes_in_last_minute() == 3
    client.read_tabs(["Tickets"])  # reads are not writes
    assert standin.writes_in_last_minute() == 3


def test_column_letters_follow_the_sheet() -> None:
    assert [column_letters(n) for n in (1, 12, 26, 27, 52, 703)] == [
        "A",
        "L",
        "Z",
        "AA",
        "AZ",
        "AAA",
    ]
    assert a1("It's", "A1:B2") == "'It''s'!A1:B2"
