"""Every tool of callrail-mcp (1.3.1), called as an MCP host calls them (the tool
functions), with only ``CALLRAIL_BASE_URL`` changed: list tools through every page,
then each read, aggregate and write tool with the arguments a user would give.

Prints a JSON report: per call, the tool's parsed answer (``ok``) or its error
envelope (``error``); list tools give the records seen over all pages. The test
decides what each must be.
"""

import json
import os
import sys

os.environ["CALLRAIL_API_KEY"] = os.environ["CALLRAIL_KEY"]

from callrail_mcp import server  # noqa: E402

PER_PAGE = 50
DAYS = 20
COMPANY_ID = os.environ["COMPANY_ID"]
TRACKING_NUMBER = os.environ["TRACKING_NUMBER"]
report: dict = {}


def record(name: str, answer: str) -> dict | None:
    data = json.loads(answer)
    if isinstance(data, dict) and data.get("error") is True:
        report[name] = {"error": data}
        return None
    report[name] = {"ok": data}
    return data


def tool(tool_name: str, /, *args, **kwargs) -> dict | None:
    """Call a tool and keep its answer under its name (or ``kwargs["as_"]``)."""
    key = kwargs.pop("as_", tool_name)
    return record(key, getattr(server, tool_name)(*args, **kwargs))


def pages(tool_name: str, items: str, /, **kwargs) -> list:
    """Every page of a list tool, through its own page/per_page arguments."""
    key = kwargs.pop("as_", tool_name)
    seen: list = []
    page = 1
    while True:
        data = json.loads(getattr(server, tool_name)(per_page=PER_PAGE, page=page, **kwargs))
        if data.get("error"):
            report[key] = {"error": data}
            return seen
        seen.extend(data[items])
        if page >= (data.get("total_pages") or 1):
            report[key] = {"ok": {"count": len(seen), "pages": page, "first": seen[0] if seen else None}}
            return seen
        page += 1


def main() -> None:
    # --- accounts, companies, users, tags, trackers, integrations, notifications ----------
    tool("list_accounts", fields="numeric_id")
    companies = pages("list_companies", "companies")
    tool(
        "list_companies",
        status="active",
        search="Client 00",
        fields="verified_caller_ids",
        as_="list_companies_filtered",
    )
    tool("get_company", COMPANY_ID, fields="verified_caller_ids")
    users = pages("list_users", "users")
    tool("list_users", search="agent001", as_="list_users_search")
    tool("get_user", users[0]["id"])
    tags = pages("list_tags", "tags", company_id=COMPANY_ID)
    tool("list_tags", tag_level="account", as_="list_tags_account")
    tool("get_tag", str(tags[0]["id"]))
    trackers = pages("list_trackers", "trackers")
    tool("list_trackers", type="session", status="active", as_="list_trackers_filtered")
    tool("get_tracker", trackers[0]["id"])
    integrations = pages("list_integrations", "integrations", company_id=COMPANY_ID)
    tool("get_integration", str(integrations[0]["id"]), fields="signing_key")
    pages("list_notifications", "notifications")

    # --- calls ----------------------------------------------------------------------------
    calls = pages("list_calls", "calls", days=DAYS)
    tool(
        "list_calls",
        days=DAYS,
        answer_status="voicemail",
        direction="inbound",
        fields="company_name,tags,source_name,gclid",
        sort="duration",
        order="desc",
        as_="list_calls_filtered",
    )
    tool("get_call", os.environ["VISIT_CALL_ID"], fields="company_name,tags,gclid,landing_page_url")
    tool("get_call_recording", os.environ["ANSWERED_CALL_ID"])
    tool("get_call_transcript", os.environ["VOICEMAIL_CALL_ID"])
    tool("get_call_page_views", os.environ["VISIT_CALL_ID"])
    tool("search_calls_by_number", "(404) 555-0177", days=DAYS)
    tool("call_summary", days=DAYS)
    tool("call_stats", group_by="source", days=DAYS, fields="total_calls,answered_calls,missed_calls,leads")
    tool("call_timeseries", days=DAYS, fields="total_calls,answered_calls", interval="day")
    tool("call_eligibility_check", os.environ["VISIT_CALL_ID"], google_ads_min_duration_seconds=60)
    tool("compare_periods", days=7)
    tool("usage_summary", days=DAYS)
    target = calls[-1]["id"]
    tool("update_call", target, note="Asked for a quote", customer_name="Fox Mulder", lead_status="good_lead")
    tool("add_call_tags", target, ["Quote", "Spring"])
    tool("remove_call_tags", target, ["Spring"])
    tool("get_call", target, fields="tags,note,lead_status", as_="get_call_after_updates")
    tool(
        "bulk_update_calls",
        company_id=COMPANY_ID,
        days=DAYS,
        set_tags_add=["Reviewed"],
        dry_run=True,
        as_="bulk_update_calls_preview",
    )
    tool(
        "bulk_update_calls",
        company_id=COMPANY_ID,
        days=DAYS,
        answer_status="voicemail",
        set_note="Call back",
        dry_run=False,
    )
    tool("spam_detector", company_id=COMPANY_ID, days=DAYS)
    tool(
        "spam_detector",
        company_id=COMPANY_ID,
        days=DAYS,
        auto_tag=True,
        tag_name="maybe_spam",
        as_="spam_detector_auto_tag",
    )
    tool("update_call", calls[-2]["id"], spam=True, as_="update_call_spam")
    tool(
        "create_outbound_call",
        caller_id=TRACKING_NUMBER,
        business_phone_number="+14045550101",
        customer_phone_number="+14045550188",
        confirm_dialing=True,
        recording_enabled=True,
        outbound_greeting_text="Connecting you with Alice Plumbing.",
        agent_id=os.environ["ADMIN_USER_ID"],
    )

    # --- form submissions ------------------------------------------------------------------
    forms = pages("list_form_submissions", "form_submissions", days=DAYS)
    tool("get_form_submission", forms[0]["id"])
    tool(
        "update_form_submission",
        forms[0]["id"],
        note="Quoted $250",
        tags=["Quote"],
        value=250.0,
        lead_status="good_lead",
        append_tags=True,
    )
    tool(
        "create_form_submission",
        company_id=COMPANY_ID,
        form_url="https://example.com/contact",
        form_data={"name": "Dana Scully", "phone": "404-555-0166", "email": "dana@example.com"},
        referrer="direct",
        referring_url="https://example.com/",
        landing_page_url="https://example.com/contact",
        note="Walk-in",
        tags=["Walk-in"],
        value=80.0,
        lead_status="good_lead",
    )
    tool("form_stats", days=DAYS, group_by="source")

    # --- texts, threads and leads ----------------------------------------------------------
    pages("list_text_messages", "conversations", days=DAYS)
    tool("get_text_message", os.environ["CONVERSATION_ID"])
    threads = pages("list_sms_threads", "sms_threads", days=DAYS)
    tool("list_sms_threads", search="555-0177", company_id=COMPANY_ID, as_="list_sms_threads_search")
    tool("get_sms_thread", os.environ["CONVERSATION_ID"])
    tool(
        "update_sms_thread",
        os.environ["CONVERSATION_ID"],
        notes="Booked for Tuesday",
        value=125.0,
        tags=["Booked"],
        lead_qualification="good_lead",
    )
    tool("update_sms_thread", threads[-1]["id"], tags=["Quote"], append_tags=False, as_="update_sms_thread_replace")
    leads = pages("list_leads", "leads")
    tool("list_leads", company_id=COMPANY_ID, sort="created_at", order="asc", per_page=5, as_="list_leads_sorted")
    kevin = next(lead for lead in leads if lead["phone"] == "+14045550177")
    tool("get_lead_timeline", kevin["id"])

    # --- tags, trackers, companies, users, notifications: create, update, delete -------------
    created_tag = tool("create_tag", "Follow up", company_id=COMPANY_ID, color="cyan1")
    tool("create_tag", "Everywhere", tag_level="account", color="purple2", as_="create_tag_account")
    tool("update_tag", str(created_tag["id"]), name="Follow up today", color="green2", disabled=True)
    tool("delete_tag", str(created_tag["id"]))

    source = tool(
        "create_tracker",
        name="Yelp listing",
        company_id=COMPANY_ID,
        destination_number="+14045550101",
        confirm_billing=True,
        type="source",
        source_type="web_referrer",
        referrer="yelp.com",
        area_code="404",
        whisper_message="Call from Yelp",
        greeting_text="Thanks for calling Alice Plumbing.",
        campaign_name="Yelp",
        swap_targets=["404-555-0101"],
    )
    tool(
        "create_tracker",
        name="Website visitors",
        company_id=COMPANY_ID,
        destination_number="+14045550101",
        confirm_billing=True,
        type="session",
        pool_size=4,
        area_code="404",
        as_="create_tracker_session",
    )
    tool(
        "update_tracker",
        source["id"],
        name="Yelp listing (main)",
        destination_number="+14045550102",
        recording_enabled=False,
        sms_enabled=False,
        swap_targets=["404-555-0102"],
    )
    tool("get_tracker", source["id"], as_="get_tracker_after_update")
    tool("delete_tracker", source["id"])

    company = tool(
        "create_company", "Bob's Roofing", time_zone="America/Chicago", callscore_enabled=False, form_capture=True
    )
    tool(
        "update_company",
        company["id"],
        name="Bob's Roofing & Siding",
        swap_ppc_override=True,
        swap_landing_override="utm_source",
        swap_cookie_duration=3,
        swap_cookie_duration_unit="months",
    )
    tool("delete_company", company["id"])

    user = tool("create_user", "fox@example.com", "Fox", "Mulder", role="manager", company_ids=[COMPANY_ID])
    # Users can be updated once they accept their invitation (reference): an agent who has.
    agent = next(row for row in users if row["role"] == "reporting")
    tool("update_user", agent["id"], company_ids=[COMPANY_ID, companies[1]["id"]])
    tool("delete_user", user["id"])

    notification = tool(
        "create_notification",
        alert_type="missed_and_vm",
        user_id=os.environ["ADMIN_USER_ID"],
        company_id=COMPANY_ID,
        call_enabled=True,
        sms_enabled=True,
    )
    tool("update_notification", str(notification["id"]), alert_type="all", send_push=True)
    tool("delete_notification", str(notification["id"]))

    # The client's own pager (used by its aggregate tools), on its own.
    report["paginate_companies"] = {
        "ok": {
            "count": sum(
                1
                for _ in server.client.paginate(
                    f"a/{server.client.resolve_account_id()}/companies.json", {"per_page": 40}, items_key="companies"
                )
            )
        }
    }
    report["tools"] = {"ok": sorted(server.mcp._tool_manager._tools)}
    json.dump(report, sys.stdout, default=str)


if __name__ == "__main__":
    main()
