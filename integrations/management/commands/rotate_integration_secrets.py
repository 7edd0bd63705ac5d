"""Encrypt every stored tenant secret again with the first key of INTEGRATION_SECRETS_KEY: the
integrations' credentials and callback secrets, the organizations' engine keys and webhook
secrets, and the signing secrets of clients' webhook endpoints (sartiq/secrets.py).

Rotation: put the new key first in INTEGRATION_SECRETS_KEY (keeping the old one after it), run
this command, then remove the old key. `--legacy` also opens values encrypted by versions before
security issue #10, whose only key was derived from SECRET_KEY.
"""
from cryptography.fernet import InvalidToken
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from integrations.models import ExternalIntegration
from integrations.secrets import derived_key, reseal
from sartiq.events.models import WebhookEndpoint
from shots.models import OrganizationEngine

# model -> its sealed fields
SEALED = {ExternalIntegration: ("credentials", "callback_secret", "previous_callback_secret"),
          OrganizationEngine: ("api_key", "webhook_secret"), WebhookEndpoint: ("secret", "previous_secret")}


class Command(BaseCommand):
    help = __doc__.splitlines()[0]

    def add_arguments(self, parser):
        parser.add_argument("--legacy", action="store_true",
                            help="also decrypt with the key earlier versions derived from SECRET_KEY")

    @transaction.atomic
    def handle(self, *args, legacy=False, **options):
        extra = [derived_key(settings.SECRET_KEY)] if legacy else []
        rotated, unreadable = 0, []
        for model, fields in SEALED.items():
            for row in model.objects.select_for_update().only("pk", *fields):
                changed = []
                for field in fields:
                    stored = getattr(row, field)
                    if not stored:
                        continue
                    try:
                        setattr(row, field, reseal(stored, extra))
                        changed.append(field)
                    except InvalidToken:
                        unreadable.append(f"{model._meta.label} {row.pk} {field}")
                if changed:
                    row.save(update_fields=changed)
                    rotated += len(changed)
        self.stdout.write(f"{rotated} secret(s) encrypted with the first key.")
        if unreadable:
            self.stderr.write("Left as they were (no configured key opens them; their owners must enter them "
                              "again):\n  " + "\n  ".join(unreadable))
