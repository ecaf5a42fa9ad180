import pytest

from nongan.standards import engine
from nongan.standards.services import standards_load


@pytest.fixture(autouse=True)
def fresh_index():
    """Each test starts with no judgement index (its rows were rolled back with the previous test)."""
    engine.invalidate()
    yield
    engine.invalidate()


@pytest.fixture
def standards(ganyu):
    """The product tree and the shipped standards."""
    return standards_load()
