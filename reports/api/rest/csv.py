"""Content negotiation for the CSV reports; the writing itself is reports.exports (shared with the admin)."""

import json

from rest_framework.renderers import BaseRenderer


class CSVRenderer(BaseRenderer):
    """Lets `Accept: text/csv` through negotiation; the reports answer a StreamingHttpResponse themselves,
    so only errors come here (as problem+json)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return json.dumps(data).encode()
