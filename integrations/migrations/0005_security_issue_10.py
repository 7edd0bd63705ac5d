"""Security issue #10: neutralize what earlier versions stored.

- Credentials stored as `env:NAME` (a reference to the server's environment, which let a tenant
  send the server's SECRET_KEY to its own endpoint) are cleared, and their integrations disabled:
  without credentials a push would go out unauthenticated to an address a tenant chose while the
  hole was open; an admin re-enables the integration after entering the token again.
- Callback secrets are cleared: they signed the old `X-Signature` scheme; callbacks are now
  Standard Webhooks messages, and an integration accepts them again once its admins set a
  `whsec_` secret shared with the retailer.
- Pushes of a revision to an integration of another tenant (a public product mapped by another
  tenant received exports) are deleted: they should never have existed, and they showed the other
  tenant's integration to the revision's tenant.
"""
from django.db import migrations
from django.db.models import F, Q


def neutralize(apps, schema_editor):
    Integration = apps.get_model("integrations", "ExternalIntegration")
    Push = apps.get_model("integrations", "ExternalImagePush")
    Integration.objects.filter(credentials__startswith="env:").update(credentials="", enabled=False)
    Integration.objects.exclude(callback_secret="").update(callback_secret="")
    shooting = "revision__shot__shooting_look__shooting__"
    same_tenant = Q(**{f"{shooting}organization_id": F("integration__organization_id")}) | Q(
        **{f"{shooting}organization__isnull": True, "integration__organization__isnull": True,
           f"{shooting}owner_id": F("integration__owner_id")})
    Push.objects.exclude(same_tenant).delete()


class Migration(migrations.Migration):
    dependencies = [("integrations", "0004_callback_messages")]
    operations = [migrations.RunPython(neutralize, migrations.RunPython.noop)]
