"""DRF's plain-text tokens (`rest_framework.authtoken`, no longer installed) become
`ApiToken`s named "api", stored as digests: clients keep working with the key they have
until it expires, `MOPSYNC_TOKEN_DAYS` after this migration. Then the old table, which
holds the keys in clear, is dropped, and its migration records with it (as
`migrate authtoken zero` would have), so that nothing readable is left behind.

Raw SQL: the old model is not importable once the app is gone. A database that never had
the table (a new install) has nothing to do."""

import datetime as dt
import hashlib

from django.conf import settings
from django.db import migrations
from django.utils import timezone

OLD_TABLE = "authtoken_token"


def hash_drf_tokens(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if OLD_TABLE not in connection.introspection.table_names(cursor):
            return
        cursor.execute(f"SELECT {schema_editor.quote_name('key')}, user_id FROM {OLD_TABLE}")  # noqa: S608
        rows = cursor.fetchall()
    ApiToken = apps.get_model("mopsync", "ApiToken")
    now = timezone.now()
    expires_at = now + dt.timedelta(days=settings.MOPSYNC_TOKEN_DAYS)
    ApiToken.objects.bulk_create(
        ApiToken(
            user_id=user_id, name="api", prefix=key[:8], digest=hashlib.sha256(key.encode()).hexdigest(),
            created_at=now, expires_at=expires_at,
        )  # fmt: skip
        for key, user_id in rows
    )
    schema_editor.execute(f"DROP TABLE {schema_editor.quote_name(OLD_TABLE)}")
    schema_editor.execute("DELETE FROM django_migrations WHERE app = %s", ["authtoken"])


class Migration(migrations.Migration):
    dependencies = [
        ("mopsync", "0001_api_tokens"),
    ]

    operations = [migrations.RunPython(hash_drf_tokens, migrations.RunPython.noop)]
