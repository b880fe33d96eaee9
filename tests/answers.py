"""Reading the API's answers in tests."""


def error_of(response, status: int) -> dict:
    """The error body of an answer that must have `status`, and never a stack trace."""
    assert response.status_code == status, response.text
    assert "Traceback" not in response.text
    return response.json()["error"]
