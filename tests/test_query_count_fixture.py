"""The `query_counts` fixture (conftest.py): a changed count fails and prints the SQL measured."""
import pytest

from conftest import client_for

pytestmark = pytest.mark.django_db


def test_a_changed_count_fails_with_the_sql_of_each_measurement(user, query_counts):
    client = client_for(user)
    url = "/api/v1/organizations/"
    first = query_counts.measure(client, url)
    second = query_counts.measure(client, url)
    query_counts.check({url: first}, {url: first}, {url: second})  # unchanged: passes

    with pytest.raises(pytest.fail.Exception) as failure:
        query_counts.check({url: first + 1}, {url: first}, {url: second})
    message = str(failure.value)
    assert f"{url}: expected {first + 1} queries, measured [{first}, {second}]" in message
    assert f"measurement 1 ({first} queries):" in message and f"measurement 2 ({second} queries):" in message
    assert message.count("SELECT") >= first + second  # every query of both measurements, numbered
    assert '"accounts_user"' in message  # e.g. the token's user


def test_a_measured_url_without_an_expected_count_fails(user, query_counts):
    client = client_for(user)
    count = query_counts.measure(client, "/api/v1/organizations/")
    with pytest.raises(pytest.fail.Exception, match="measured, no count expected"):
        query_counts.check({}, {"/api/v1/organizations/": count})
