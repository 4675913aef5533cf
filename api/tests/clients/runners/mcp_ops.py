"""Call callrail-mcp's read tools as an MCP host would (the tool functions), with
only ``CALLRAIL_BASE_URL`` changed, paging through every collection.

Prints a JSON report: per tool, the records seen over all pages or the error.
"""

import json
import os
import sys

os.environ["CALLRAIL_API_KEY"] = os.environ["CALLRAIL_KEY"]

from callrail_mcp import server  # noqa: E402

PER_PAGE = 50
COMPANY_ID = os.environ["COMPANY_ID"]


def pages(tool, key: str, **kwargs) -> dict:
    """Every page of a list tool, through its own page/per_page arguments."""
    seen: list = []
    page = 1
    while True:
        data = json.loads(tool(per_page=PER_PAGE, page=page, **kwargs))
        if data.get("error"):
            return {"error": data}
        seen.extend(data[key])
        if page >= (data.get("total_pages") or 1):
            return {"count": len(seen), "pages": page, "first": seen[0] if seen else None}
        page += 1


def single(tool, *args, **kwargs) -> dict:
    data = json.loads(tool(*args, **kwargs))
    return {"error": data} if isinstance(data, dict) and data.get("error") is True else {"ok": data}


def main() -> None:
    report: dict = {}
    report["list_accounts"] = single(server.list_accounts, fields="numeric_id")
    report["list_companies"] = pages(server.list_companies, "companies")
    report["list_users"] = pages(server.list_users, "users")
    report["list_tags"] = pages(server.list_tags, "tags", company_id=COMPANY_ID)
    report["list_trackers"] = pages(server.list_trackers, "trackers")
    report["list_calls"] = pages(server.list_calls, "calls", days=20)
    report["list_form_submissions"] = pages(server.list_form_submissions, "form_submissions", days=20)
    report["list_text_messages"] = pages(server.list_text_messages, "conversations", days=20)
    report["list_notifications"] = pages(server.list_notifications, "notifications")
    report["list_integrations"] = pages(server.list_integrations, "integrations", company_id=COMPANY_ID)
    report["get_company"] = single(server.get_company, COMPANY_ID, fields="verified_caller_ids")
    tag_id = str(report["list_tags"]["first"]["id"])
    report["get_tag"] = single(server.get_tag, tag_id)
    user_id = report["list_users"]["first"]["id"]
    report["get_user"] = single(server.get_user, user_id)
    integration_id = str(report["list_integrations"]["first"]["id"])
    report["get_integration"] = single(server.get_integration, integration_id, fields="signing_key")
    call_id = report["list_calls"]["first"]["id"]
    report["get_call"] = single(server.get_call, call_id, fields="company_name,tags")
    report["paginate_companies"] = {
        "count": sum(
            1
            for _ in server.client.paginate(
                f"a/{server.client.resolve_account_id()}/companies.json", {"per_page": 40}, items_key="companies"
            )
        )
    }
    json.dump(report, sys.stdout, default=str)


if __name__ == "__main__":
    main()
