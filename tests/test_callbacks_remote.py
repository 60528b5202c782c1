"""RemoteMonitor posts each epoch's logs to a local http.server (no network), in the same
form Keras's RemoteMonitor (through `requests`) posts them."""

import http.server
import json
import threading
import urllib.parse

import numpy as np
import pytest

import plait
from plait import callbacks, layers


class _Recorder(http.server.BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append(
            {
                "path": self.path,
                "type": self.headers["Content-Type"],
                "token": self.headers.get("X-Token"),
                "body": body.decode(),
            }
        )
        self.send_response(404 if "missing" in self.path else 200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    _Recorder.received = []
    httpd = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", _Recorder.received
    httpd.shutdown()
    httpd.server_close()


def _decode(record, field="data"):
    if record["type"] == "application/json":
        return json.loads(record["body"])
    return json.loads(urllib.parse.parse_qs(record["body"])[field][0])


def _fit(monitor, epochs=2):
    plait.utils.set_random_seed(0)
    model = plait.Sequential([plait.Input((3,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    x, y = np.ones((8, 3), "float32"), np.zeros((8, 1), "float32")
    return model.fit(x, y, epochs=epochs, verbose=0, callbacks=[monitor])


@pytest.mark.parametrize("send_as_json", [False, True])
def test_posts_each_epoch(server, send_as_json):
    root, received = server
    monitor = callbacks.RemoteMonitor(
        root=root, field="payload", headers={"X-Token": "t"}, send_as_json=send_as_json
    )
    history = _fit(monitor)
    assert [r["path"] for r in received] == ["/publish/epoch/end/"] * 2
    assert all(r["token"] == "t" for r in received)
    sent = [_decode(r, "payload") for r in received]
    assert [s["epoch"] for s in sent] == [0, 1]
    assert [s["loss"] for s in sent] == pytest.approx(history.history["loss"])
    assert [s["mae"] for s in sent] == pytest.approx(history.history["mae"])


@pytest.mark.parametrize("send_as_json", [False, True])
def test_same_request_as_kerass(server, send_as_json):
    keras = pytest.importorskip("keras")
    pytest.importorskip("requests")
    root, received = server
    logs = {"loss": np.float32(0.5), "acc": np.array(0.25), "lr": 0.1}
    keras.callbacks.RemoteMonitor(root=root, send_as_json=send_as_json).on_epoch_end(3, logs)
    callbacks.RemoteMonitor(root=root, send_as_json=send_as_json).on_epoch_end(3, logs)
    theirs, ours = received
    assert ours["path"] == theirs["path"]
    assert ours["type"] == theirs["type"]
    assert _decode(ours) == _decode(theirs) == {"epoch": 3, "loss": 0.5, "acc": 0.25, "lr": 0.1}


def test_unreachable_server_warns_and_http_errors_pass(server):
    root, received = server
    with pytest.warns(UserWarning, match="Could not reach RemoteMonitor root server"):
        callbacks.RemoteMonitor(root="http://127.0.0.1:1", timeout=5).on_epoch_end(0, {})
    callbacks.RemoteMonitor(root=root, path="/missing").on_epoch_end(0, {"loss": 1.0})
    assert len(received) == 1
