"""A NUL character in a query or form value is a 400 page (PostgreSQL cannot store it: it used to
fail as a 500 inside the request's transaction). Found by tests/fuzz/test_lti.py."""

from __future__ import annotations

from flask.testing import FlaskClient


def test_nul_in_a_form_value_is_refused(client: FlaskClient) -> None:
    response = client.post("/lti/login", data={"iss": "\x00", "login_hint": "4"})
    assert response.status_code == 400
    assert "bad_request.nul_character" in response.get_data(as_text=True)


def test_nul_in_a_query_value_or_name_is_refused(client: FlaskClient) -> None:
    assert (
        client.get("/lti/login", query_string={"iss": "https://lms\x00", "login_hint": "4"}).status_code
        == 400
    )
    assert client.get("/lti/login", query_string={"\x00": "x"}).status_code == 400


def test_ordinary_input_still_reaches_the_view(client: FlaskClient) -> None:
    response = client.post("/lti/login", data={"iss": "https://unknown.example", "login_hint": "4"})
    assert response.status_code == 400
    assert "lti.unknown_platform" in response.get_data(as_text=True)
