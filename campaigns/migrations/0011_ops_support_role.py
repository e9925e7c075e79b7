from django.db import migrations


def create_role(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.get_or_create(name="ops_support")


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0010_actual_orders_customer_ref")]
    operations = [migrations.RunPython(create_role, migrations.RunPython.noop)]
