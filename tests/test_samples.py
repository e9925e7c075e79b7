"""docs/samples/: one file per import kind, each importing cleanly into the demo brand
(`manage.py load_demo`), so that the first upload a newcomer tries succeeds (issue 17)."""

import csv
import io
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import transaction
from django.test.utils import override_settings

from campaigns.management import demo_brand as demo
from campaigns.models import Campaign
from capacity import imports
from capacity.models import ImportJob

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).resolve().parent.parent / "docs" / "samples"
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Who sends each kind in the demo.
SENDERS = {
    "stock_levels": "ishaan",
    "inbound_shipments": "ishaan",
    "lane_performance": "lata",
    "returns": "lata",
    "actual_orders": "maya",
    "campaign_spend": "maya",
    "support_tickets": "lata",
    "csat": "lata",
}
# The samples name campaigns by id, the one reference the import takes. The demo builds its
# campaigns in a fixed order, so on a fresh database (`make run`) campaign 1 is always the
# first: "Monsoon kurta edit", completed (its dates move with the day of the load; its id does not).
SAMPLE_CAMPAIGN_ID = "1"


@pytest.fixture(scope="module")
def demo_loaded(django_db_setup, django_db_blocker):
    """The demo, loaded once for the module inside a transaction rolled back afterwards
    (the pattern of tests/test_demo.py)."""
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS), transaction.atomic():
        call_command("load_demo", force=True, stdout=io.StringIO())
        yield
        transaction.set_rollback(True)


def sample(kind: str, first_campaign: Campaign) -> str:
    """The sample's text, its campaign ids moved to the demo's first campaign as this test
    database numbers it (a fresh database numbers it 1; PostgreSQL's sequences do not
    restart between tests)."""
    text = (SAMPLES / f"{kind}.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    if "campaign" not in rows[0]:
        return text
    assert {row["campaign"] for row in rows} <= {SAMPLE_CAMPAIGN_ID, ""}, "samples name the demo's first campaign"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({**row, "campaign": str(first_campaign.pk) if row["campaign"] else ""})
    return out.getvalue()


def test_there_is_one_sample_per_kind_with_its_header():
    assert sorted(p.stem for p in SAMPLES.glob("*.csv")) == sorted(imports.HEADERS)
    assert set(SENDERS) == set(imports.HEADERS)
    for kind in imports.HEADERS:
        header = (SAMPLES / f"{kind}.csv").read_text(encoding="utf-8").splitlines()[0]
        assert header == imports.sample_csv(kind).strip(), kind


def test_the_sample_campaign_is_the_demos_first(demo_loaded):
    first = Campaign.objects.order_by("pk").first()
    assert first.name == "Monsoon kurta edit"
    assert Campaign.objects.filter(pk__lt=first.pk).count() == 0


@pytest.mark.parametrize("kind", sorted(SENDERS))
def test_each_sample_imports_cleanly_into_the_demo(demo_loaded, kind):
    actor = User.objects.get(username=SENDERS[kind])
    assert actor.groups.filter(name=demo.DEMO_USERS[actor.username][0]).exists()
    text = sample(kind, Campaign.objects.order_by("pk").first())
    job = imports.import_create(actor=actor, kind=kind, file_name=f"{kind}.csv", data=text.encode())
    imports.import_process(job.pk)
    job.refresh_from_db()
    assert job.errors == [], (kind, job.errors)
    assert job.status == ImportJob.Status.SUCCEEDED, kind
    assert job.rows_total == len(text.splitlines()) - 1
    assert sum(job.summary[k] for k in ("created", "updated", "unchanged")) == job.rows_total, job.summary
