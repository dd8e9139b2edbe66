from django.apps import AppConfig
from django.core import checks


class VouchersConfig(AppConfig):
    name = "vouchers"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from vouchers import personal_data

        checks.register(voucher_key_check, checks.Tags.security, deploy=False)
        personal_data.register()


def voucher_key_check(app_configs, **kwargs):
    """A bad PLUM_VOUCHER_KEY (or its previous, the lookup or the integration key) is an error at start-up,
    not at the first order; the public development key is fine for development only, so it warns."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    from plum.core.keys import integration_keyring
    from vouchers.codes import check_key

    if not settings.VOUCHER_CODE_KEY:
        hint = "Set PLUM_VOUCHER_KEY (32 random bytes, URL-safe base64) before storing real codes."
        return [checks.Warning("Voucher codes use the public development key.", hint=hint, id="vouchers.W001")]
    try:
        check_key()  # PLUM_VOUCHER_KEY, its previous and the lookup key
        integration_keyring()  # PLUM_INTEGRATION_KEY and its previous
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="vouchers.E001")]
    return []
