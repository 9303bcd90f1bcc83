"""Start and stop the AWS emulator (moto server) on 127.0.0.1.

This is the only place that adjusts emulator defaults; each patch is a documented emulator gap, never a
product change (see DESIGN.md "What the emulators can and cannot do"):

* EMR Serverless: moto creates applications in state STARTED, but AWS (and the Terraform provider, which
  waits for it) starts them in CREATED; and it drops ``architecture`` (AWS default X86_64), so every plan
  showed a change — the launcher keeps what the request said.
* IAM/S3 policy conditions: moto treats a condition it cannot evaluate (``Bool``, ``Numeric*``, keys it never
  supplies such as ``aws:SecureTransport`` / ``s3:TlsVersion``) as matching, so the TLS-only Deny on every
  bucket would deny every request. As in IAM, such a statement simply does not apply.
* Lake Formation: revoking a permission that is not there answers success, where AWS answers
  InvalidInputException "No permissions revoked. Grantee has no …" — the Terraform provider revokes until
  it sees that error, so every destroy retried for ever. And a second grant to the same principal on the same
  resource is merged into the stored permission in place, which moto's set then cannot find: the revoke
  crashed (KeyError, HTTP 500) and the destroy retried until it timed out; grants are now merged and revoked
  by replacing the stored object.
* Lost replies: under load an SDK sometimes never sees a reply moto did send and retries the call (same
  ``amz-sdk-invocation-id``); executed again, the retry of a create, delete or tag removal failed
  (AlreadyExists for a Glue table or crawler, an IAM role, a secret; NotFound for a CloudWatch dashboard; a
  500 from Lake Formation's RemoveLFTagsFromResource that the destroy retried until it timed out). AWS runs a
  call once; the server now answers a retry with its first attempt's reply (``_answer_retries_once``).
* S3: a version-specific delete on a bucket with Suspended versioning (how Terraform empties a force_destroy
  bucket after removing its versioning) crashed on delete markers; it now deletes that one version, as S3 does.
* Athena: ``DeleteNamedQuery`` is not implemented (the provider retries for ever) and ``GetNamedQuery`` of a
  missing id crashes instead of answering InvalidRequestException.

TLS (``Emulator.start(tls=True)``, used by the integration test): AWS is only reached over HTTPS, and the AWS SDK
v1 inside hadoop-aws refuses to send SSE-KMS parameters over plain HTTP — S3A's rename (CopyObject) carries the
source object's KMS key, so every rename on a KMS bucket failed and was retried. The launcher makes a throw-away
self-signed certificate for 127.0.0.1, serves moto over HTTPS with it, and ``aws_env()`` hands clients the trust:
``AWS_CA_BUNDLE`` (boto3, Terraform) and a JVM truststore through ``JAVA_TOOL_OPTIONS`` (Spark).

A user's LocalStack can stand in: when ``AWS_ENDPOINT_URL`` is set before pytest starts, the fixtures
(tests/emulator/plugin.py) use it and start nothing.

CLI (for a manual session):
    python -m tests.emulator.launcher serve --port 4566   # foreground, patched moto server
    python -m tests.emulator.launcher start [--port N] [--tls]  # background; prints the env, writes a pidfile
    python -m tests.emulator.launcher stop
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"
PIDFILE = Path(os.environ.get("LAKEHOUSE_CACHE_DIR", Path.home() / ".cache/lakehouse")) / "emulator.pid"


class EmulatorError(RuntimeError):
    pass


class _NoGrants:
    permissions: tuple = ()


def apply_patches() -> None:
    """Emulator gaps, patched in the emulator process only."""
    import json

    import moto.athena.responses as athena
    import moto.emrserverless.models as emr
    import moto.emrserverless.responses as emr_responses
    import moto.iam.access_control as access
    import moto.iam.policy_conditions as conditions
    import moto.lakeformation.exceptions as lf_errors
    import moto.lakeformation.models as lakeformation

    emr.APPLICATION_STATUS = "CREATED"  # AWS creates applications in CREATED, not STARTED

    original_create_application = emr_responses.EMRServerlessResponse.create_application

    def create_application(self):
        before = set(self.emrserverless_backend.applications)
        result = original_create_application(self)
        for app_id in set(self.emrserverless_backend.applications) - before:
            self.emrserverless_backend.applications[app_id].architecture = (
                self._get_param("architecture") or "X86_64"
            )
        return result

    emr_responses.EMRServerlessResponse.create_application = create_application

    original_permitted = access.IAMPolicyStatement.is_action_permitted

    def is_action_permitted(self, action, resource="*", principal=None, incoming_condition_values=None):
        supplied = incoming_condition_values or {}
        condition = self._statement.get("Condition") or {}
        for operator, pairs in condition.items():
            if operator not in conditions.CONDITION_OPERATIONS or any(k not in supplied for k in pairs):
                return access.PermissionResult.NEUTRAL
        if condition and not self._check_conditions(incoming_condition_values):
            return access.PermissionResult.NEUTRAL
        return original_permitted(self, action, resource, principal, incoming_condition_values)

    access.IAMPolicyStatement.is_action_permitted = is_action_permitted

    original_get_named_query = athena.AthenaResponse.get_named_query

    def delete_named_query(self):
        self.athena_backend.named_queries.pop(self._get_param("NamedQueryId"), None)
        return json.dumps({})

    def get_named_query(self):
        if self._get_param("NamedQueryId") not in self.athena_backend.named_queries:
            return self.error("NamedQuery does not exist", 400)
        return original_get_named_query(self)

    athena.AthenaResponse.delete_named_query = delete_named_query
    athena.AthenaResponse.get_named_query = get_named_query

    original_revoke = lakeformation.LakeFormationBackend.revoke_permissions

    def revoke_permissions(self, catalog_id, principal, resource, *args, **kwargs):
        before = {
            repr(sorted(p.__dict__.items())) for p in self.grants.get(catalog_id, _NoGrants).permissions
        }
        original_revoke(self, catalog_id, principal, resource, *args, **kwargs)
        after = {repr(sorted(p.__dict__.items())) for p in self.grants.get(catalog_id, _NoGrants).permissions}
        if before == after:
            raise lf_errors.InvalidInput("No permissions revoked. Grantee has no permissions on the resource")

    lakeformation.LakeFormationBackend.revoke_permissions = revoke_permissions

    # moto keeps Permission objects in a set hashed on their (mutable) permission lists, and add_permission
    # merges a second grant for the same principal and resource into the stored object in place: its hash
    # goes stale, and the revoke at destroy fails with a KeyError (HTTP 500, which the AWS provider retries
    # until it times out). Keep the set by identity and re-add what was changed.
    def _change(catalog, permission, change) -> bool:
        """Apply ``change`` to the stored permission of ``permission``'s principal and resource, if any."""
        for existing in list(catalog.permissions):
            if permission.equal_principal_and_resouce(existing):
                catalog.permissions = {p for p in catalog.permissions if p is not existing}
                change(existing)
                if not existing.is_empty():
                    catalog.permissions.add(existing)
                return True
        return False

    def add_permission(self, permission) -> None:
        if not _change(self, permission, lambda p: p.merge(permission)):
            self.permissions.add(permission)

    def remove_permission(self, permission) -> None:
        _change(self, permission, lambda p: p.diff(permission))

    lakeformation.PermissionCatalog.add_permission = add_permission
    lakeformation.PermissionCatalog.remove_permission = remove_permission

    # S3: deleting one version on a bucket whose versioning is Suspended (Terraform destroys the versioning
    # resource before emptying a force_destroy bucket) takes moto's unversioned path, which drops every
    # version of the key and crashes on a delete marker (500 for ever). S3 deletes just that version.
    import threading

    import moto.s3.models as s3_models

    original_delete_object = s3_models.S3Backend.delete_object
    suspended_delete = threading.Lock()

    def delete_object(self, bucket_name, key_name, version_id=None, *args, **kwargs):
        bucket = self.get_bucket(bucket_name)
        if version_id is None or getattr(bucket, "versioning_status", None) != "Suspended":
            return original_delete_object(self, bucket_name, key_name, version_id, *args, **kwargs)
        with suspended_delete:  # the versioned path, for this call only
            bucket.versioning_status = "Enabled"
            try:
                return original_delete_object(self, bucket_name, key_name, version_id, *args, **kwargs)
            finally:
                bucket.versioning_status = "Suspended"

    s3_models.S3Backend.delete_object = delete_object


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def port_taken(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex((HOST, port)) == 0


TRUSTSTORE_PASSWORD = "changeit"  # protects nothing: the store holds public certificates only


def make_tls_material(folder: Path) -> Path:
    """A self-signed certificate for 127.0.0.1/localhost (cert.pem, key.pem) and a JVM truststore
    (truststore.p12: the JDK's public CAs plus that certificate). Returns ``folder``."""
    import datetime
    import ipaddress
    import shutil

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    keytool = shutil.which("keytool") or (
        os.path.join(os.environ["JAVA_HOME"], "bin", "keytool") if os.environ.get("JAVA_HOME") else None
    )
    if not keytool or not os.path.exists(keytool):
        raise EmulatorError(
            "TLS emulator needs the JDK's keytool (on PATH or in $JAVA_HOME/bin) for Spark's truststore"
        )
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "lakehouse-emulator")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=7))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(HOST))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    store = folder / "truststore.p12"
    # the JDK's own CAs stay trusted (Ivy still fetches jars from Maven Central in the same JVM)
    cacerts = Path(os.path.realpath(keytool)).parents[1] / "lib" / "security" / "cacerts"
    pw = ["-storepass", TRUSTSTORE_PASSWORD, "-noprompt"]
    steps = [
        [
            keytool,
            "-importcert",
            "-alias",
            "lakehouse-emulator",
            "-file",
            str(folder / "cert.pem"),
            "-keystore",
            str(store),
            "-storetype",
            "PKCS12",
            *pw,
        ]
    ]
    if cacerts.exists():
        steps.insert(
            0,
            [
                keytool,
                "-importkeystore",
                "-srckeystore",
                str(cacerts),
                "-srcstorepass",
                "changeit",
                "-destkeystore",
                str(store),
                "-deststoretype",
                "PKCS12",
                "-deststorepass",
                TRUSTSTORE_PASSWORD,
                "-noprompt",
            ],
        )
    for cmd in steps:
        out = subprocess.run(cmd, capture_output=True, text=True)
        if out.returncode != 0:
            raise EmulatorError(
                f"keytool failed building {store}: {(out.stderr or out.stdout).strip()[:300]}"
            )
    return folder


def _answers(endpoint: str, cafile: Path | None = None) -> bool:
    import ssl

    context = ssl.create_default_context(cafile=str(cafile)) if cafile else None
    try:
        with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1, context=context) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError):
        return False


@dataclass
class Emulator:
    endpoint: str
    process: subprocess.Popen | None = None  # None: not ours (e.g. LocalStack); never stopped by us
    log_path: Path | None = None
    tls_dir: Path | None = None  # cert.pem + truststore.p12 when serving HTTPS

    @classmethod
    def start(cls, port: int | None = None, timeout: float = 60.0, *, tls: bool = False) -> Emulator:
        port = port or free_port()
        if port_taken(port):
            raise EmulatorError(
                f"port {port} on {HOST} is already taken; stop what listens there or choose another port"
            )
        env = dict(os.environ, MOTO_IAM_LOAD_MANAGED_POLICIES="true")
        env.pop("AWS_ENDPOINT_URL", None)
        repo = Path(__file__).resolve().parents[2]
        tls_dir = make_tls_material(Path(tempfile.mkdtemp(prefix="moto-tls-"))) if tls else None
        serve = [sys.executable, "-m", "tests.emulator.launcher", "serve", "--port", str(port)]
        if tls_dir:
            serve += ["--tls-dir", str(tls_dir)]
        # The server logs every request: to a file, never a pipe nobody drains (a full pipe blocks moto).
        with tempfile.NamedTemporaryFile(prefix=f"moto-{port}-", suffix=".log", delete=False) as log:
            proc = subprocess.Popen(
                serve,
                cwd=repo,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        endpoint = f"{'https' if tls_dir else 'http'}://{HOST}:{port}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                err = Path(log.name).read_text(errors="replace")[-500:]
                raise EmulatorError(f"moto server exited at start (code {proc.returncode}): {err.strip()}")
            if _answers(endpoint, tls_dir / "cert.pem" if tls_dir else None):
                return cls(endpoint, proc, Path(log.name), tls_dir)
            time.sleep(0.2)
        proc.kill()
        raise EmulatorError(f"moto server did not answer on {endpoint} within {timeout:.0f}s")

    def stop(self, *, keep_log: bool = False) -> None:
        """Stop our server; its request log is deleted unless ``keep_log`` (a failed test run's evidence)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.log_path and not keep_log:
            self.log_path.unlink(missing_ok=True)
        if self.tls_dir:
            import shutil

            shutil.rmtree(self.tls_dir, ignore_errors=True)

    def aws_env(self) -> dict[str, str]:
        """Environment for clients (boto3, Terraform, Spark) that should talk to this emulator."""
        env = {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
            "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"),
            "AWS_REGION": os.environ.get("AWS_REGION", "eu-west-1"),
            "AWS_DEFAULT_REGION": os.environ.get("AWS_REGION", "eu-west-1"),
        }
        if self.tls_dir:
            store = self.tls_dir / "truststore.p12"
            jvm = (
                f"-Djavax.net.ssl.trustStore={store} -Djavax.net.ssl.trustStoreType=PKCS12 "
                f"-Djavax.net.ssl.trustStorePassword={TRUSTSTORE_PASSWORD}"
            )
            env["AWS_CA_BUNDLE"] = str(self.tls_dir / "cert.pem")  # boto3 and the Terraform AWS provider
            env["JAVA_TOOL_OPTIONS"] = (
                f"{os.environ.get('JAVA_TOOL_OPTIONS', '')} {jvm}".strip()
            )  # Spark's JVM
        return env


REFUSED = "emulator refused:"  # the log lines the test plugin shows after a failed run
REPLAYED = "emulator replayed:"  # a retried call answered with its first attempt's reply


def _action(environ) -> str:
    return environ.get("HTTP_X_AMZ_TARGET") or environ.get("QUERY_STRING", "")[:120]


def _log_refusals(app):
    """WSGI wrapper: one line per answer >= 400 with the API action (werkzeug's own line lacks it), so a failed
    apply or destroy can be traced to the call the emulator refused."""

    def logged(environ, start_response):
        def start(status, headers, exc_info=None):
            if int(status.split(" ", 1)[0]) >= 400:
                print(
                    f"{REFUSED} {status} {environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')} "
                    f"{_action(environ)}",
                    flush=True,
                )
            return start_response(status, headers, exc_info)

        return app(environ, start)

    return logged


MUTATING = frozenset({"POST", "PUT", "DELETE", "PATCH"})


def _answer_retries_once(app, keep: int = 4096):
    """WSGI wrapper: a retried call is answered with what its first attempt got, not executed twice.

    Under load the SDKs sometimes never see a reply moto did send, and retry the call with the same
    ``amz-sdk-invocation-id``; the retry of a create, delete or tag removal then failed (AlreadyExists,
    NotFound, a 500) where AWS, which dedupes retries, succeeds. So the last ``keep`` successful answers to
    mutating calls are kept by invocation id and replayed to a repeat; a repeat that arrives while its first
    attempt is still running waits for it. A failed first attempt is not kept: its retry runs as usual.
    """
    import threading
    from collections import OrderedDict

    answered: OrderedDict[str, tuple[str, list, bytes]] = OrderedDict()
    running: dict[str, threading.Event] = {}
    lock = threading.Lock()

    def retry_safe(environ, start_response):
        invocation = environ.get("HTTP_AMZ_SDK_INVOCATION_ID")
        if not invocation or environ.get("REQUEST_METHOD") not in MUTATING:
            return app(environ, start_response)
        with lock:
            first = running.get(invocation)
            if first is None and invocation not in answered:
                running[invocation] = threading.Event()
        if first is not None:
            first.wait(120)
        with lock:
            kept = answered.get(invocation)
        if first is not None or kept is not None:
            attempt = environ.get("HTTP_AMZ_SDK_REQUEST") or environ.get("HTTP_AMZ_SDK_RETRY", "")
            if kept is None:  # the first attempt failed: run this one
                return app(environ, start_response)
            from werkzeug.wsgi import get_input_stream

            body_in = get_input_stream(environ)  # bounded by Content-Length (or de-chunked)
            while body_in.read(65536):  # leave the connection clean for the next request
                pass
            status, headers, body = kept
            print(
                f"{REPLAYED} {status} {environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')} "
                f"{_action(environ)} ({attempt})",
                flush=True,
            )
            start_response(status, headers)
            return [body]
        got: dict[str, object] = {}

        def start(status, headers, exc_info=None):
            got.update(status=status, headers=list(headers))
            return start_response(status, headers, exc_info)

        try:
            body = b"".join(app(environ, start))
            if str(got.get("status", "500")).startswith("2"):
                with lock:
                    answered[invocation] = (got["status"], got["headers"], body)
                    while len(answered) > keep:
                        answered.popitem(last=False)
            return [body]
        finally:
            with lock:
                running.pop(invocation).set()

    return retry_safe


def _serve(port: int, tls_dir: Path | None = None) -> None:
    import ssl

    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    apply_patches()
    context = None
    if tls_dir:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2  # what the buckets' TLS-only policy demands
        context.load_cert_chain(tls_dir / "cert.pem", tls_dir / "key.pem")
    # what moto's ThreadedMotoServer does, plus the optional TLS context and a log line per refused request
    server = make_server(
        HOST,
        port,
        _log_refusals(_answer_retries_once(DomainDispatcherApplication(create_backend_app))),
        threaded=True,
        request_handler=MotoRequestHandler,
        ssl_context=context,
    )
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server.serve_forever()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.emulator.launcher")
    sub = parser.add_subparsers(dest="cmd", required=True)
    serve = sub.add_parser("serve")
    serve.add_argument("--port", type=int, default=4566)
    serve.add_argument("--tls-dir", type=Path, help="folder with cert.pem and key.pem: serve HTTPS")
    start = sub.add_parser("start")
    start.add_argument("--port", type=int, default=4566)
    start.add_argument("--tls", action="store_true", help="serve HTTPS with a throw-away certificate")
    sub.add_parser("stop")
    args = parser.parse_args(argv)
    try:
        if args.cmd == "serve":
            _serve(args.port, args.tls_dir)
        elif args.cmd == "start":
            emu = Emulator.start(args.port, tls=args.tls)
            PIDFILE.parent.mkdir(parents=True, exist_ok=True)
            PIDFILE.write_text(str(emu.process.pid))
            for key, value in emu.aws_env().items():
                print(f"export {key}='{value}'")
            print(f"# moto pid {emu.process.pid}")
        elif args.cmd == "stop" and PIDFILE.exists():
            os.kill(int(PIDFILE.read_text()), signal.SIGTERM)
            PIDFILE.unlink()
    except EmulatorError as exc:
        print(f"emulator: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
