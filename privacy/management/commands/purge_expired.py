"""Run the nightly retention purge now:

python manage.py purge_expired
"""

import json
from typing import Any

from django.core.management.base import BaseCommand

from privacy.retention import retention_purge


class Command(BaseCommand):
    help = "Delete every account's calls, recordings, texts, forms, visits and logs older than its retention period."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(json.dumps(retention_purge(), sort_keys=True))
