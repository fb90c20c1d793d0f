"""Fixtures of the crm tests: the fake DaData server (``dadata``)."""

from crm.tests.fake_dadata import dadata  # noqa: F401 - a fixture
