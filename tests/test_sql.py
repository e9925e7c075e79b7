"""The hand-written SQL's helpers (`mopsync.sql`) and the reads built on them, with more
values than psycopg keeps a parsed query for (50 parameters): on PostgreSQL a list of ids
is one array parameter, elsewhere one parameter per id — the same rows either way."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection

from campaigns import services
from campaigns.models import Campaign
from campaigns.selectors import campaign_lines
from capacity.models import Sku
from mopsync import sql
from tests.factories import SkuFactory
from tests.helpers import make_world, plan_data

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("n", [1, 50, 51, 130])
def test_one_of_matches_exactly_the_values_given(n):
    skus = SkuFactory.create_batch(n + 5)
    wanted = sorted(s.pk for s in skus[:n])
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {Sku._meta.db_table} WHERE {sql.one_of('id', n)}", sql.values_of(wanted))  # noqa: S608
        assert sorted(row[0] for row in cursor.fetchall()) == wanted
        cursor.execute(
            f"SELECT COUNT(*) FROM {Sku._meta.db_table} WHERE NOT ({sql.one_of('id', n)})",  # noqa: S608
            sql.values_of(wanted),
        )
        assert cursor.fetchone()[0] == Sku.objects.count() - n


def test_campaign_lines_of_many_campaigns_are_their_lines_in_order(maya):
    world = make_world()
    extra = SkuFactory(code="AAA-00")
    skus = [{"sku": "TEE-01", "share": "0.6"}, {"sku": extra.code, "share": "0.2"}, {"sku": "CAP-01", "share": "0.2"}]
    for i in range(60):
        services.campaign_create(actor=maya, data=plan_data(world, name=f"C{i}", skus=skus))

    ids = list(Campaign.objects.values_list("pk", flat=True))
    found = campaign_lines(ids)

    assert set(found) == set(ids)
    for campaign in Campaign.objects.prefetch_related("sku_lines__sku", "region_lines__region"):
        sku_lines, region_lines = found[campaign.pk]
        # Share down, then code; ids, names and exact shares as the models have them.
        assert [(line.code, line.share) for line in sku_lines] == [
            ("TEE-01", Decimal("0.6000")), ("AAA-00", Decimal("0.2000")), ("CAP-01", Decimal("0.2000")),
        ]  # fmt: skip
        assert {(line.id, line.name) for line in sku_lines} == {
            (s.sku.pk, s.sku.name) for s in campaign.sku_lines.all()
        }
        expected = sorted(((r.region.code, r.share) for r in campaign.region_lines.all()), key=lambda r: (-r[1], r[0]))
        assert [(line.code, line.share) for line in region_lines] == expected
    assert campaign_lines([]) == {}
