"""Staff-app fixtures."""
import pytest

from loyalty.services import context


@pytest.fixture(autouse=True)
def fresh_program_cache():
    """Parsed programs are cached by version number; each test's database starts at version 1 again."""
    context._parsed.cache_clear()
    yield
    context._parsed.cache_clear()
