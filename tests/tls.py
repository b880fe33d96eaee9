"""A self-signed certificate for 127.0.0.1, made at run time with `openssl req`, for HTTPS API subprocesses."""

import subprocess
from pathlib import Path

CERT_DAYS = 2  # the certificate outlives any test run


def self_signed(directory: Path) -> tuple[Path, Path]:
    """(certificate, private key) PEM files for CN and subjectAltName 127.0.0.1, in `directory`."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                    "-out", str(cert), "-days", str(CERT_DAYS), "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True, timeout=60)
    return cert, key
