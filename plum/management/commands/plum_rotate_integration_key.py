"""Re-seal every integration secret under PLUM_INTEGRATION_KEY (the *_PREVIOUS key opens the old ones)."""

from integrations.chat.models import Channel
from integrations.events.models import HookEndpoint
from integrations.hrms.models import Connection
from integrations.webhooks.models import Subscription
from plum.core.keys import INTEGRATION_SECRETS
from plum.core.rotation import Rotation, SealedTable
from plum.management.rotate_key import RotateKeyCommand

INTEGRATION_ROTATION = Rotation(
    INTEGRATION_SECRETS,
    (
        SealedTable(HookEndpoint, ("secret_sealed", "previous_secret_sealed")),
        SealedTable(Subscription, ("secret_sealed", "previous_secret_sealed")),
        SealedTable(Connection, ("credentials_sealed",)),
        SealedTable(
            Channel, ("webhook_url_sealed", "signing_secret_sealed", "bot_token_sealed", "outgoing_secret_sealed")
        ),
    ),
)


class Command(RotateKeyCommand):
    help = (
        "Re-encrypt every integration secret (hook endpoints, webhook subscriptions, HRMS credentials, Slack/Teams "
        "channels) under PLUM_INTEGRATION_KEY (PLUM_INTEGRATION_KEY_PREVIOUS, or PLUM_VOUCHER_KEY_PREVIOUS while "
        "PLUM_INTEGRATION_KEY is unset, opens the old ones); resumable, online, verified at the end."
    )
    rotation = INTEGRATION_ROTATION
