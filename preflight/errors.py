"""The error preflight reports instead of a traceback. Always exit code 2."""

from __future__ import annotations


class PreflightError(Exception):
    """A failure of the input, the program or a pack.

    `what` is the failure in a few words, `where` the file, pack or resource it concerns and
    `hint` what is allowed or what to do. The three are printed as one paragraph.
    """

    def __init__(self, what: str, where: str, hint: str = "", detail: str = "") -> None:
        self.what = what
        self.where = where
        self.hint = hint
        self.detail = detail  # extra text (a traceback, stderr) shown with --debug
        super().__init__(self.paragraph())

    def paragraph(self) -> str:
        text = f"preflight: {self.what} ({self.where})."
        if self.hint:
            text += f" {self.hint}"
        return text
