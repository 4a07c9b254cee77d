"""Shared imports for the cicd-baseline policy tests: the pack's package on sys.path first."""

from tests.packharness import add_pack_to_path

add_pack_to_path("cicd-baseline")

from cicd_baseline import POLICIES  # noqa: E402

__all__ = ["POLICIES"]
