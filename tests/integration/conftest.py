"""pytest harness: real `tarn serve` processes driven by real clients.

Every server listens on 127.0.0.1 on an ephemeral port, keeps its data in a
temporary directory, and dies with the test process (PR_SET_PDEATHSIG), so
nothing outlives a run. Tests use Debian's /usr/bin/python3 with boto3 and
/usr/bin/aws.
"""

import ctypes
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import uuid

import boto3
import pytest
from botocore.config import Config

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TARN_BIN = os.environ.get("TARN_BIN", os.path.join(REPO, "build", "bin", "tarn"))
ACCESS_KEY = "AKIDTARNTEST00000000"
SECRET_KEY = "tarn/test/secret/key/0000000000000000000"
REGION = "us-east-1"

_libc = ctypes.CDLL("libc.so.6", use_errno=True)
_PR_SET_PDEATHSIG = 1


def _die_with_parent():
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


class TarnServer:
    """One tarn server process over one data directory.

    start() launches it and waits for its "listening on" line; kill9()
    simulates a crash; stop() is a clean SIGTERM shutdown. The data directory
    survives restarts and is removed by cleanup().
    """

    def __init__(self, data_dir=None, extra_args=(), env=None):
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="tarn-it-")
        self.extra_args = list(extra_args)
        self.env = dict(os.environ)
        self.env.update({
            "TARN_ROOT_ACCESS_KEY_ID": ACCESS_KEY,
            "TARN_ROOT_SECRET_ACCESS_KEY": SECRET_KEY,
        })
        if env:
            self.env.update(env)
        self.proc = None
        self.port = None
        self.log_path = os.path.join(self.data_dir, "..", os.path.basename(self.data_dir) + ".log")

    @property
    def endpoint(self):
        return "http://127.0.0.1:%d" % self.port

    def start(self, timeout=20.0):
        assert self.proc is None, "already running"
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [TARN_BIN, "serve", "--data-dir", self.data_dir, "--listen", "127.0.0.1:0"]
            + self.extra_args,
            stdout=subprocess.PIPE, stderr=log, env=self.env, preexec_fn=_die_with_parent)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                if self.proc.poll() is not None:
                    raise RuntimeError("tarn exited with %s; log: %s" % (self.proc.returncode, self.log()))
                continue
            m = re.search(rb"listening on http://127\.0\.0\.1:(\d+)", line)
            if m:
                self.port = int(m.group(1))
                return self
        raise RuntimeError("tarn did not start in %ss; log: %s" % (timeout, self.log()))

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-4000:].decode(errors="replace")
        except OSError:
            return ""

    def stop(self, timeout=15.0):
        """SIGTERM and wait; returns the exit code."""
        if self.proc is None:
            return None
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self.proc.stdout.close()
        self.proc = None
        return code

    def kill9(self):
        if self.proc is None:
            return
        self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()
        self.proc = None

    def restart(self):
        self.stop()
        return self.start()

    def cleanup(self):
        if self.proc is not None:
            self.kill9()
        shutil.rmtree(self.data_dir, ignore_errors=True)
        try:
            os.unlink(self.log_path)
        except OSError:
            pass

    def client(self, service="s3", **config):
        cfg = {"retries": {"max_attempts": 1}, "s3": {"addressing_style": "path"}}
        cfg.update(config)
        return boto3.client(
            service, endpoint_url=self.endpoint, region_name=REGION,
            aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
            config=Config(**cfg))

    def cli_env(self):
        env = dict(os.environ)
        env.update({
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        })
        env.pop("AWS_PROFILE", None)
        return env

    def aws(self, *args, check=True, input=None, timeout=300):
        """Runs /usr/bin/aws against this server; returns CompletedProcess."""
        proc = subprocess.run(
            ["/usr/bin/aws", "--endpoint-url", self.endpoint] + list(args),
            env=self.cli_env(), capture_output=True, input=input, timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError("aws %s failed (%d): %s" % (
                " ".join(args), proc.returncode, proc.stderr.decode(errors="replace")))
        return proc


# Sanitizer builds (scripts/test --asan): servers write their reports under
# this directory (ASAN_OPTIONS log_path), where a test cannot miss them.
SANITIZER_LOG_DIR = os.environ.get("TARN_SANITIZER_LOG_DIR")


def sanitizer_reports():
    """{path: text} of the sanitizer reports tarn servers wrote so far."""
    if not SANITIZER_LOG_DIR or not os.path.isdir(SANITIZER_LOG_DIR):
        return {}
    out = {}
    for name in sorted(os.listdir(SANITIZER_LOG_DIR)):
        path = os.path.join(SANITIZER_LOG_DIR, name)
        with open(path, "rb") as f:
            out[path] = f.read().decode(errors="replace")
    return out


@pytest.fixture(autouse=True)
def _no_sanitizer_reports():
    """Fails the test during which a server reported a memory error, a leak
    or undefined behaviour (the report names the server's pid)."""
    before = set(sanitizer_reports())
    yield
    new = {p: t for p, t in sanitizer_reports().items() if p not in before}
    if new:
        pytest.fail("sanitizer reports from tarn:\n" + "\n".join(
            "%s:\n%s" % (p, t[:8000]) for p, t in new.items()), pytrace=False)


@pytest.fixture(scope="session")
def server():
    """The shared server for tests that do not restart or crash it."""
    if not os.path.exists(TARN_BIN):
        pytest.fail("tarn binary not found at %s (build first, or set TARN_BIN)" % TARN_BIN)
    s = TarnServer().start()
    yield s
    code = s.stop()
    s.cleanup()
    assert code == 0, "tarn did not exit cleanly on SIGTERM: %s" % code


@pytest.fixture
def fresh_server():
    """A server of the test's own, for restart and crash tests."""
    s = TarnServer()
    yield s
    s.cleanup()


@pytest.fixture
def s3(server):
    return server.client("s3")


@pytest.fixture
def bucket(s3):
    """A new empty bucket, emptied and removed after the test."""
    name = "it-" + uuid.uuid4().hex[:20]
    s3.create_bucket(Bucket=name)
    yield name
    try:
        paginator = s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=name):
            for obj in page.get("Contents", []):
                s3.delete_object(Bucket=name, Key=obj["Key"])
        for up in s3.list_multipart_uploads(Bucket=name).get("Uploads", []):
            s3.abort_multipart_upload(Bucket=name, Key=up["Key"], UploadId=up["UploadId"])
        s3.delete_bucket(Bucket=name)
    except Exception:  # the test may have deleted it already
        pass


# ------------------------------------------------- raw signed S3 requests
# For what boto3 will not send: malformed bodies, missing or lying
# Content-Length, custom Host headers. Requests are SigV4-signed by
# botocore's own signer, so only the part under test is wrong.

class RawResponse:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # lowercase names
        self.body = body

    def error(self):
        """The S3 <Error> document as a dict of its child elements."""
        import xml.etree.ElementTree as ET
        root = ET.fromstring(self.body)
        assert root.tag == "Error", self.body
        return {child.tag: (child.text or "") for child in root}


class RawS3:
    def __init__(self, server):
        self.server = server

    def sign(self, method, path, query="", headers=None, body=b"", host=None,
             unsigned_payload=False, content_length=True):
        """Signed headers for a request; path and query already URI-encoded."""
        from botocore.auth import S3SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        host = host or "127.0.0.1:%d" % self.server.port
        hdrs = dict(headers or {})
        if content_length and not any(k.lower() == "content-length" for k in hdrs):
            hdrs["Content-Length"] = str(len(body))
        url = "http://%s%s%s" % (host, path, "?" + query if query else "")
        req = AWSRequest(method=method, url=url, headers=hdrs, data=body)
        if unsigned_payload:
            req.context["client_config"] = Config(s3={"payload_signing_enabled": False})
        S3SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "s3", REGION).add_auth(req)
        out = [("Host", host)]
        out += [(k, v.decode() if isinstance(v, bytes) else v) for k, v in req.headers.items()]
        return out, path + ("?" + query if query else "")

    def request(self, method, path, query="", headers=None, body=b"", host=None,
                unsigned_payload=False, content_length=True):
        import http.client
        hdrs, target = self.sign(method, path, query, headers, body, host,
                                 unsigned_payload, content_length)
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
        try:
            conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
            for k, v in hdrs:
                conn.putheader(k, v)
            conn.endheaders(body if body else None)
            resp = conn.getresponse()
            data = resp.read()
            return RawResponse(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)
        finally:
            conn.close()


@pytest.fixture
def raw_s3(server):
    """Sends hand-built, SigV4-signed S3 requests to the shared server."""
    return RawS3(server)
