"""Drive a page in headless Chromium over the DevTools protocol (standard library only).

    with DevToolsPage.open(Path("runs/x/report.html")) as page:
        page.type_into("#sku-search", "ELE-105")
        rows = page.evaluate("[...document.querySelectorAll('#orders-table tr[data-sku]')].length")
        assert not page.errors

For tests of what a user does (typing, clicking) and of the exact console errors; the page's
uncaught exceptions and console.error calls are collected in `errors`. A minimal WebSocket
client (RFC 6455: masked text frames out, unfragmented or continued frames in) is enough for
the protocol's JSON messages.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import struct
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from planner.report.browser import find_chromium

START_TIMEOUT_S = 60


class _WebSocket:
    def __init__(self, url: str, timeout: float = 60.0):
        assert url.startswith("ws://")
        host_port, _, path = url[len("ws://") :].partition("/")
        host, _, port = host_port.partition(":")
        self.sock = socket.create_connection((host, int(port)), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (
                f"GET /{path} HTTP/1.1\r\nHost: {host_port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("DevTools closed the connection during the handshake")
            head += chunk
        status, _, rest = head.partition(b"\r\n\r\n")
        if b" 101 " not in status.split(b"\r\n", 1)[0]:
            raise ConnectionError(f"WebSocket handshake refused: {status[:200]!r}")
        self.buffer = rest

    def _read(self, n: int) -> bytes:
        while len(self.buffer) < n:
            chunk = self.sock.recv(max(65536, n - len(self.buffer)))
            if not chunk:
                raise ConnectionError("DevTools closed the connection")
            self.buffer += chunk
        out, self.buffer = self.buffer[:n], self.buffer[n:]
        return out

    def send(self, text: str) -> None:
        payload = text.encode()
        n = len(payload)
        if n < 126:
            head = struct.pack("!BB", 0x81, 0x80 | n)
        elif n < 1 << 16:
            head = struct.pack("!BBH", 0x81, 0x80 | 126, n)
        else:
            head = struct.pack("!BBQ", 0x81, 0x80 | 127, n)
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(head + mask + masked)

    def recv(self) -> str:
        parts = []
        while True:
            b0, b1 = self._read(2)
            n = b1 & 0x7F
            if n == 126:
                (n,) = struct.unpack("!H", self._read(2))
            elif n == 127:
                (n,) = struct.unpack("!Q", self._read(8))
            mask = self._read(4) if b1 & 0x80 else None
            data = self._read(n)
            if mask:
                data = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
            opcode = b0 & 0x0F
            if opcode == 0x8:
                raise ConnectionError("DevTools closed the WebSocket")
            if opcode == 0x9:  # ping -> pong
                self.sock.sendall(struct.pack("!BB", 0x8A, 0x80 | len(data)) + b"\0\0\0\0" + data)
                continue
            if opcode in (0x1, 0x0):
                parts.append(data)
                if b0 & 0x80:
                    return b"".join(parts).decode()

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


class DevToolsPage:
    """One page of a headless Chromium started for it; use as a context manager."""

    def __init__(
        self, proc: subprocess.Popen, profile: tempfile.TemporaryDirectory, ws: _WebSocket
    ):
        self.proc, self.profile, self.ws = proc, profile, ws
        self.errors: list[str] = []
        self._id = 0

    @classmethod
    def open(cls, page: Path, fragment: str | None = None, size=(1280, 900)) -> DevToolsPage:
        browser = find_chromium()
        if browser is None:
            raise FileNotFoundError("no Chromium browser on the PATH (apt-get install chromium)")
        profile = tempfile.TemporaryDirectory(prefix="planner-devtools-")
        proc = subprocess.Popen(
            [
                browser,
                "--headless=new",
                "--disable-gpu",
                "--no-sandbox",
                "--no-first-run",
                "--disable-extensions",
                "--disable-dev-shm-usage",
                f"--window-size={size[0]},{size[1]}",
                "--remote-debugging-port=0",
                "--remote-allow-origins=*",
                f"--user-data-dir={profile.name}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            port = cls._port(Path(profile.name), proc)
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=30) as r:
                targets = [t for t in json.load(r) if t.get("type") == "page"]
            ws = _WebSocket(targets[0]["webSocketDebuggerUrl"])
        except BaseException:
            proc.kill()
            proc.wait()
            profile.cleanup()
            raise
        self = cls(proc, profile, ws)
        self.call("Runtime.enable")
        self.call("Page.enable")
        url = Path(page).resolve().as_uri() + (f"#{fragment}" if fragment else "")
        self.call("Page.navigate", url=url)
        self.wait_for("document.body && document.body.getAttribute('data-ready') === '1'")
        return self

    @staticmethod
    def _port(profile: Path, proc: subprocess.Popen) -> int:
        file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if file.is_file():
                text = file.read_text().split()
                if text:
                    return int(text[0])
            if proc.poll() is not None:
                raise RuntimeError(f"chromium exited ({proc.returncode}) before DevTools was up")
            time.sleep(0.05)
        raise TimeoutError("chromium did not open its DevTools port")

    def _event(self, msg: dict) -> None:
        method, params = msg.get("method"), msg.get("params", {})
        if method == "Runtime.exceptionThrown":
            d = params.get("exceptionDetails", {})
            self.errors.append(d.get("exception", {}).get("description") or d.get("text", ""))
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            self.errors.append(
                " ".join(
                    str(a.get("value", a.get("description", ""))) for a in params.get("args", [])
                )
            )

    def call(self, method: str, **params) -> dict:
        self._id += 1
        self.ws.send(json.dumps({"id": self._id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self._id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self._event(msg)

    def evaluate(self, expression: str):
        res = self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in res:
            raise RuntimeError(f"evaluate failed: {res['exceptionDetails'].get('text')}")
        return res.get("result", {}).get("value")

    def wait_for(self, condition: str, timeout_s: float = 30.0) -> None:
        deadline = time.monotonic() + timeout_s
        while not self.evaluate(f"!!({condition})"):
            if time.monotonic() > deadline:
                raise TimeoutError(f"page condition not met in {timeout_s:g} s: {condition}")
            time.sleep(0.05)

    def type_into(self, selector: str, text: str) -> None:
        """Focus the element and type `text` through the browser's input pipeline."""
        self.evaluate(f"document.querySelector({json.dumps(selector)}).focus()")
        for ch in text:
            self.call("Input.insertText", text=ch)

    def press(self, key: str) -> None:
        for kind in ("keyDown", "keyUp"):
            self.call(
                "Input.dispatchKeyEvent",
                type=kind,
                key=key,
                code=key,
                windowsVirtualKeyCode={"Enter": 13, "Escape": 27}.get(key, 0),
            )

    def click(self, selector: str) -> None:
        self.evaluate(f"document.querySelector({json.dumps(selector)}).click()")

    def settle(self, seconds: float = 0.4) -> None:
        """Let debounced handlers run, collecting any events meanwhile."""
        time.sleep(seconds)
        self.evaluate("1")

    def close(self) -> None:
        self.ws.close()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.profile.cleanup()

    def __enter__(self) -> DevToolsPage:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
