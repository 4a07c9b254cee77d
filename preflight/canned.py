"""TEMP (helper writes the real one)."""
from typing import Any


class UnknownInvoke(Exception):
    def __init__(self, token: str) -> None:
        self.token = token
        super().__init__(f"no canned answer for invoke {token}")
def answer(token: str, args: dict[str, Any]) -> dict[str, Any]:
    if token == "aws:index/getCallerIdentity:getCallerIdentity":
        return {"accountId": "111122223333", "arn": "arn:aws:iam::111122223333:user/x", "userId": "X", "id": "111122223333"}
    raise UnknownInvoke(token)
