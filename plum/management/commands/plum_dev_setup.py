"""`make run`'s set-up: migrate, seed the demo organisation once, print how to call the platform."""

import json
import secrets
from io import StringIO
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand

STATE = Path(settings.BASE_DIR) / "var" / "demo.json"
BASE_URL = "http://127.0.0.1:8000"


class Command(BaseCommand):
    help = "Migrate, seed demo data on first start (kept in var/demo.json) and print credentials."

    def handle(self, *args, **options):
        call_command("migrate", verbosity=0)
        if not STATE.exists():
            self.stdout.write("First start: seeding the demo organisation...")
            out = StringIO()
            call_command("plum_demo", "--json", stdout=out)
            demo = json.loads(out.getvalue())
            password = secrets.token_urlsafe(12)
            get_user_model().objects.create_superuser("admin", "admin@demo.example", password)
            STATE.parent.mkdir(exist_ok=True)
            STATE.write_text(json.dumps({**demo, "admin_user": "admin", "admin_password": password}, indent=2))
            STATE.chmod(0o600)
        demo = json.loads(STATE.read_text())
        cid, secret = demo["client_id"], demo["client_secret"]
        tasks = "Celery via Redis" if settings.REDIS_URL else "in-process (REDIS_URL is unset)"
        self.stdout.write(
            f"""
Plum is starting on {BASE_URL}
  Admin        {BASE_URL}/admin/   user {demo["admin_user"]} / password {demo["admin_password"]}
  Swagger UI   {BASE_URL}/api/v1/docs/
  GraphiQL     {BASE_URL}/graphql/
  Database     {settings.DATABASES["default"]["HOST"]} / {settings.DATABASES["default"]["NAME"]}
  Tasks        {tasks}

Demo API client (organisation "{demo["organisation"]}", every scope):
  client_id     {cid}
  client_secret {secret}

Try it (the examples in README.md and docs/api.md start from these two variables):
  export CLIENT_ID={cid} CLIENT_SECRET={secret}
  TOKEN=$(curl -sf -u "$CLIENT_ID:$CLIENT_SECRET" -d grant_type=client_credentials {BASE_URL}/oauth/token/ \\
          | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  H="Authorization: Bearer $TOKEN"
  curl -sf -H "$H" '{BASE_URL}/api/v1/employees/?page_size=5'
"""
        )
