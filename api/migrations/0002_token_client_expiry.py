# Tokens get a client name (one token per person and client) and an expiry.

import api.models
from django.conf import settings
from django.db import migrations, models


def one_token_per_client(apps, schema_editor):
    """Before this migration every log-in added a token; they all get the client "api". Keep that name
    for each person's newest token and give the older ones a name of their own ("api-<id>"), so no
    script using one breaks at the upgrade; they expire like the rest."""
    ApiToken = apps.get_model("api", "ApiToken")
    newest = set()
    for token in ApiToken.objects.order_by("user_id", "-created_at", "-pk"):
        if token.user_id in newest:
            token.client = f"api-{token.pk}"
            token.save(update_fields=["client"])
        newest.add(token.user_id)


class Migration(migrations.Migration):

    dependencies = [
        ('api', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='apitoken',
            name='client',
            field=models.CharField(default='api', help_text='Имя программы, для которой выдан токен: новый токен для неё заменяет прежний.', max_length=100, verbose_name='программа'),
        ),
        # Tokens issued before get API_TOKEN_DAYS from the upgrade, not from their issue: an old token
        # in use by a script must not stop working the moment the new version starts.
        migrations.AddField(
            model_name='apitoken',
            name='expires_at',
            field=models.DateTimeField(default=api.models.default_expiry, verbose_name='действует до'),
        ),
        migrations.RunPython(one_token_per_client, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='apitoken',
            constraint=models.UniqueConstraint(fields=('user', 'client'), name='apitoken_one_per_client'),
        ),
    ]
