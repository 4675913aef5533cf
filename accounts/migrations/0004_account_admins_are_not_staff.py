"""Account admins made by bootstrap_admin used to be Django superusers, so one account's
admin saw every account's rows in /admin/. They keep their role in their account and lose
staff and superuser status; /admin/ is the platform operator's (createsuperuser)."""

from django.db import migrations


def demote(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    # bootstrap_admin always gave its user an API key named "bootstrap"; superusers made with
    # createsuperuser never had one, and stay the operators they are.
    bootstrapped = User.objects.filter(api_keys__name="bootstrap").filter(is_superuser=True)
    User.objects.filter(pk__in=bootstrapped.values("pk")).update(is_staff=False, is_superuser=False)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_move_alerts_to_integrations"),
    ]

    operations = [
        migrations.RunPython(demote, migrations.RunPython.noop),
    ]
