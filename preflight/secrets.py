"""Decrypt a stack's `secure:` config values with Pulumi's passphrase secrets provider.

The format is the CLI's: `encryptionsalt: v1:<salt>:v1:<nonce>:<ciphertext>` in the stack file,
where the ciphertext is the word "pulumi" (a passphrase check), and each value `v1:<nonce>:<ciphertext>`;
AES-256-GCM with a key derived by PBKDF2-HMAC-SHA256 (1,000,000 rounds) from the passphrase and salt.
The passphrase comes from PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE, as for the CLI.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from preflight.errors import PreflightError

_ROUNDS = 1_000_000


def passphrase() -> str | None:
    if "PULUMI_CONFIG_PASSPHRASE" in os.environ:
        return os.environ["PULUMI_CONFIG_PASSPHRASE"]
    path = os.environ.get("PULUMI_CONFIG_PASSPHRASE_FILE")
    return Path(path).read_text().rstrip("\n") if path else None


class Decrypter:
    def __init__(self, salt_line: str, secret: str, where: str) -> None:
        self.where = where
        try:
            version, salt, check = salt_line.split(":", 2)
            assert version == "v1"
            key = hashlib.pbkdf2_hmac("sha256", secret.encode(), base64.b64decode(salt), _ROUNDS, 32)
        except (ValueError, AssertionError, binascii.Error) as exc:
            raise PreflightError("the stack file's encryptionsalt is not in the passphrase format", where,
                                 "Expected `encryptionsalt: v1:<salt>:v1:<nonce>:<ciphertext>`.") from exc
        self.aead = AESGCM(key)
        if self._open(check, "encryptionsalt") != "pulumi":
            raise PreflightError("incorrect passphrase for this stack's secrets", where,
                                 "Set PULUMI_CONFIG_PASSPHRASE (or _FILE) to the stack's passphrase.")

    def _open(self, value: str, key: str) -> str:
        try:
            version, nonce, ciphertext = value.split(":")
            assert version == "v1"
            plain = self.aead.decrypt(base64.b64decode(nonce), base64.b64decode(ciphertext), None)
            return plain.decode()
        except InvalidTag as exc:
            raise PreflightError("incorrect passphrase for this stack's secrets", self.where,
                                 "Set PULUMI_CONFIG_PASSPHRASE (or _FILE) to the stack's passphrase.") from exc
        except (ValueError, AssertionError, binascii.Error, UnicodeDecodeError) as exc:
            raise PreflightError(f"the secure value of '{key}' is not a passphrase ciphertext", self.where,
                                 "Expected `secure: v1:<nonce>:<ciphertext>` as `pulumi config set --secret` "
                                 "writes it.") from exc

    def decrypt(self, value: str, key: str) -> str:
        return self._open(value, key)
