"""The benchmark still runs (bench/)."""

import pytest

from bench import seed


def test_the_seeding_names_a_column_it_does_not_fill():
    """A column added to a model stops the seeding with its name, rather than failing deep in COPY or being
    left empty unnoticed (bench/seed.py)."""
    from articles.models import Byline

    with pytest.raises(seed.SeedDrift, match="without author_id, order"):
        seed._copy(Byline, [{"article_id": 1}])
    with pytest.raises(seed.SeedDrift, match="unknown position"):
        seed._copy(Byline, [{"article_id": 1, "author_id": 1, "order": 0, "position": 2}])
