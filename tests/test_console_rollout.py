"""A deployment's rollout in the console, in headless chromium against the session API: the versions it serves
with their weights, the shadow's live comparison, the drift of the last window per feature, the canary slider
(confirmed, then one PATCH) and the rotation of its keys."""

import pytest
from browser import shot
from harness import wait_for
from playwright.sync_api import expect
from test_traffic import deploy, versions  # noqa: F401  (a model of two versions, each with a baseline)

from batchsvc.scoring.sample import FIELDS, WATSON_ROW

BODY = {"input_data": [{"fields": FIELDS, "values": [WATSON_ROW]}]}
REQUESTS = 20


@pytest.fixture
def canary(client, versions) -> str:  # noqa: F811
    """A deployment sending 90% to version 1 and 10% to version 2, shadowed by version 2 and capturing every
    request, after REQUESTS requests have been answered and those version 1 answered compared."""
    name = deploy(client, traffic={f"{versions}@1": 90, f"{versions}@2": 10},
                  shadow={"model": f"{versions}@2", "percent": 100}, capture={"percent": 100})
    answers = [client.post(f"/v1/deployments/{name}/predictions", json=BODY) for _ in range(REQUESTS)]
    assert {a.status_code for a in answers} == {200}
    by_v1 = sum(a.headers["batchsvc-version"] == f"{versions}@1" for a in answers)  # v2's own are not shadowed
    wait_for(lambda: client.get(f"/v1/deployments/{name}/shadow").json()["requests"] == by_v1,
             what=f"{by_v1} requests shadowed")
    return name


def test_the_rollout_shows_the_weights_the_shadow_comparison_and_the_drift_of_the_window(page, api_url, client,
                                                                                         versions, canary):
    # When the deployment's page is opened
    page.goto(f"{api_url}/#/deployments/{canary}")
    # Then the traffic card shows both versions with their weights
    weights = page.locator(".traffic table.weights tbody tr")
    expect(weights).to_have_count(2)
    expect(weights.nth(0)).to_contain_text(f"{versions}@1")
    expect(weights.nth(0)).to_contain_text("90%")
    expect(weights.nth(1)).to_contain_text("10%")
    # And the shadow card shows the comparison the API computed
    figures = client.get(f"/v1/deployments/{canary}/shadow").json()
    expect(page.locator(".shadow")).to_contain_text(f"{versions}@2")
    expect(page.locator(".shadow .shadow-compared")).to_contain_text(f"{figures['compared']} requests")
    expect(page.locator(".shadow table.deltas tbody tr")).to_have_count(len(figures["abs_delta_p"]))
    # And the drift card draws a PSI bar per feature for the versions that answered in the last hour
    drift = client.get(f"/v1/deployments/{canary}/drift", params={"window": "1h"}).json()
    answered = [v for v in drift["versions"] if v["features"]]
    assert answered, drift
    expect(page.locator(".drift table.psi")).to_have_count(len(answered))
    expect(page.locator(".drift table.psi").first.locator("tr")).to_have_count(len(answered[0]["features"]))
    expect(page.locator(".drift svg rect").first).to_be_visible()
    shot(page, "rollout", full_page=True)


def test_the_canary_slider_sends_one_patch_after_a_confirm_and_it_is_in_the_history(page, api_url, client, versions,
                                                                                      canary):
    # Given the deployment's page
    page.goto(f"{api_url}/#/deployments/{canary}")
    # When the canary's share is set to 50% and applied (the confirm is accepted)
    page.get_by_label("canary weight").fill("50")
    page.get_by_role("button", name="Apply traffic").click()
    # Then the deployment splits 50/50, the page shows it, and the history records the change
    wait_for(lambda: client.get(f"/v1/deployments/{canary}").json()["traffic"] == {f"{versions}@1": 50,
                                                                                    f"{versions}@2": 50})
    expect(page.locator(".traffic table.weights tbody tr").nth(1)).to_contain_text("50%")
    change = client.get(f"/v1/deployments/{canary}/history").json()["history"][0]["changes"]["traffic"]
    assert change["from"] == {f"{versions}@1": 90, f"{versions}@2": 10}
    assert change["to"] == {f"{versions}@1": 50, f"{versions}@2": 50}


def test_an_admin_rotates_the_primary_key_from_the_page(page, api_url, client, canary):
    # Given the deployment's keys
    before = client.post(f"/v1/deployments/{canary}/listkeys").json()
    # When the primary key is rotated from the page (the confirm is accepted)
    page.goto(f"{api_url}/#/deployments/{canary}")
    page.get_by_role("button", name="Rotate primary key").click()
    expect(page.locator("#notice")).to_contain_text("primary key replaced")
    # Then the primary key changed and the secondary did not
    after = client.post(f"/v1/deployments/{canary}/listkeys").json()
    assert after["primaryKey"] != before["primaryKey"] and after["secondaryKey"] == before["secondaryKey"]
