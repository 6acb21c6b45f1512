import pytest

from cityline.strategy.tests.factories import make_strategy_city


@pytest.fixture
def city(db):
    """A small, complete strategy city (see cityline.strategy.tests.factories)."""
    return make_strategy_city()
