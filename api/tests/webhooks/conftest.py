"""The webhook log's API tests use the rows and the loopback receiver of the sending side's tests."""

from integrations.tests.conftest import receiver, tracker  # noqa: F401 - fixtures
