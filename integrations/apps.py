from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Here, not at module level: receivers import models, which exist once the registry is ready.
        from integrations.selectors import push_counts_by_status
        from integrations.transfer import pushes_stay_with_their_tenant
        from sartiq import metrics
        from shootings.transfer import transfer_requested

        transfer_requested.connect(pushes_stay_with_their_tenant, sender=self.apps.get_model("shootings", "Shooting"),
                                   dispatch_uid="integrations.pushes_stay_with_their_tenant")
        metrics.count_by_status("sartiq_pushes", "Image pushes to retailers by status", push_counts_by_status)
