"""The six roles of processes.md exist in every installation: processes assign work by them."""

from django.db import migrations

CODES = ["director", "finance_director", "sales_head", "sales_admin", "accountant", "sales_manager"]


def create_roles(apps, schema_editor):
    Role = apps.get_model("org", "Role")
    for code in CODES:
        Role.objects.get_or_create(code=code)


class Migration(migrations.Migration):
    dependencies = [("org", "0001_initial")]
    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
