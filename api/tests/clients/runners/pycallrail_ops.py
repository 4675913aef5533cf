"""Read through pycallrail as its users do, with only the base URL changed.

Prints a JSON report: what each read returned (counts and a few fields), or the
error it raised. Run with the pycallrail venv's python (api/tests/clients/venvs.py).
"""

import json
import os
import traceback

from pycallrail.callrail import CallRail


def attempt(report: dict, name: str, read) -> None:
    try:
        report[name] = read()
    except Exception as exc:  # the report says what broke; the test decides
        report[name] = {"error": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()[-1500:]}


def main() -> None:
    client = CallRail(api_key=os.environ["CALLRAIL_KEY"])
    client.BASE_URL = os.environ["CALLRAIL_BASE_URL"]  # the one change a user makes
    report: dict = {}
    attempt(report, "list_accounts", lambda: [account.id for account in client.list_accounts()])
    account = client.get_account(account_id=os.environ["CALLRAIL_ACCOUNT_ID"])
    report["get_account"] = {"id": account.id, "name": account.name}
    attempt(report, "list_tags", lambda: [tag.name for tag in account.list_tags()])
    attempt(report, "list_calls", lambda: [call.id for call in account.list_calls() or []])
    attempt(
        report, "list_calls_offset", lambda: [call.id for call in account.list_calls(pagination_type="OFFSET") or []]
    )
    attempt(report, "list_companies", lambda: [company.id for company in account.list_companies() or []])
    # The same collection through pycallrail's own request/paging layer, without its
    # Company model (which predates the reference's swap_cookie_duration_unit).
    attempt(
        report,
        "companies_relative_pages",
        lambda: [
            row["id"]
            for row in client._get(
                endpoint=f"a/{account.id}",
                response_data_key="companies",
                path="companies.json",
                pagination_type="RELATIVE",
            )
        ],
    )
    attempt(
        report,
        "companies_offset_pages",
        lambda: [
            row["id"]
            for row in client._get(endpoint=f"a/{account.id}", response_data_key="companies", path="companies.json")
        ],
    )
    attempt(report, "list_form_submissions", lambda: [form.id for form in account.list_form_submissions() or []])
    attempt(
        report,
        "list_text_message_conversations",
        lambda: [conversation.id for conversation in account.list_text_message_conversations() or []],
    )
    print(json.dumps(report))


if __name__ == "__main__":
    main()
