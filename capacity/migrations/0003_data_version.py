"""The versions of the data that `mopsync.versions` counts (issue 7): a plain table, not a
model, so that nothing but that module reads or writes it."""

from django.db import migrations

CREATE = [
    "CREATE TABLE mopsync_data_version (scope varchar(20) NOT NULL PRIMARY KEY, n bigint NOT NULL)",
    "INSERT INTO mopsync_data_version (scope, n) VALUES ('ref', 1), ('data', 1)",
]


class Migration(migrations.Migration):
    dependencies = [("capacity", "0002_imported_data")]

    operations = [migrations.RunSQL(CREATE, ["DROP TABLE mopsync_data_version"])]
