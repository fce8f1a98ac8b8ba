"""A throwaway certificate authority for TLS tests, made with the ``openssl`` command.

``LocalCA.create(folder)`` makes a CA; ``ca.issue("server")`` a server certificate for
``localhost`` and ``127.0.0.1`` signed by it, as PEM files and as a PKCS#12 keystore
(what a Java server such as Kafka loads). Two CAs made this way trust nothing of each
other's, which is how tests show that a wrong CA is refused.
"""

import subprocess
from dataclasses import dataclass
from pathlib import Path

KEYSTORE_PASSWORD = "test-keystore"
_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]  # fast to make


def _openssl(*args: str | Path, cwd: Path) -> None:
    done = subprocess.run(
        ["openssl", *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=60
    )
    if done.returncode != 0:
        raise RuntimeError(f"openssl {args[0]} failed: {done.stderr[-1000:]}")


@dataclass(frozen=True)
class ServerCert:
    cert: Path  # PEM certificate
    key: Path  # PEM private key
    keystore: Path  # PKCS#12 with key, certificate and the CA, password KEYSTORE_PASSWORD


@dataclass(frozen=True)
class LocalCA:
    folder: Path
    cert: Path  # the CA certificate (PEM): what clients trust
    key: Path

    @classmethod
    def create(cls, folder: Path, name: str = "newswatch test CA") -> "LocalCA":
        folder.mkdir(parents=True, exist_ok=True)
        _openssl(
            "req", "-x509", *_KEY, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", f"/CN={name}",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            cwd=folder,
        )  # fmt: skip
        return cls(folder, folder / "ca.pem", folder / "ca.key")

    def issue(self, name: str, hosts: tuple[str, ...] = ("localhost", "127.0.0.1")) -> ServerCert:
        alt = ",".join(f"IP:{h}" if h[0].isdigit() else f"DNS:{h}" for h in hosts)
        (self.folder / f"{name}.ext").write_text(
            f"subjectAltName={alt}\nextendedKeyUsage=serverAuth\n"
            "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
        )
        _openssl(
            "req", *_KEY, "-keyout", f"{name}.key", "-out", f"{name}.csr",
            "-subj", f"/CN={hosts[0]}", cwd=self.folder,
        )  # fmt: skip
        _openssl(
            "x509", "-req", "-in", f"{name}.csr", "-CA", self.cert, "-CAkey", self.key,
            "-CAcreateserial", "-days", "2", "-out", f"{name}.pem", "-extfile", f"{name}.ext",
            cwd=self.folder,
        )  # fmt: skip
        _openssl(
            "pkcs12", "-export", "-in", f"{name}.pem", "-inkey", f"{name}.key",
            "-certfile", self.cert, "-name", name, "-out", f"{name}.p12",
            "-passout", f"pass:{KEYSTORE_PASSWORD}", cwd=self.folder,
        )  # fmt: skip
        return ServerCert(
            self.folder / f"{name}.pem", self.folder / f"{name}.key", self.folder / f"{name}.p12"
        )
