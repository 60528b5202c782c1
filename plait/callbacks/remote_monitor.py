"""`RemoteMonitor`: post each epoch's logs to a server."""

import json
import urllib.error
import urllib.parse
import urllib.request
import warnings

import numpy as np
import torch
import torch.distributed as dist

from plait.callbacks.callback import Callback

__all__ = ["RemoteMonitor"]


class RemoteMonitor(Callback):
    """Post each epoch's logs to a server (Keras's `RemoteMonitor`), through the standard
    library's `urllib` (Keras's needs `requests`; plait needs nothing).

    At the end of each epoch it sends an HTTP POST to `root + path` with the dict
    `{"epoch": epoch, **logs}` (NumPy and 0-d torch values as Python numbers): as a JSON
    body (`Content-Type: application/json`) when `send_as_json`, else as a form field
    `field=<the dict as JSON>` (`application/x-www-form-urlencoded`), as `requests.post`
    sends them. A server that cannot be reached gives a warning, not an error; the
    server's HTTP status is not checked. Under `torchrun` only rank 0 posts.

    Args:
        root: the server's root URL, default "http://localhost:9000".
        path: the path under `root`, default "/publish/epoch/end/".
        field: the form field holding the JSON (form posts only), default "data".
        headers: extra HTTP headers, a dict. Default None.
        send_as_json: send the dict as a JSON body. Default False.
        timeout: seconds to wait for the server (plait's addition; Keras waits without
            a limit). Default None: no limit.

    Example:
        >>> from plait import callbacks
        >>> monitor = callbacks.RemoteMonitor(root="http://localhost:9000")
        >>> monitor.root + monitor.path
        'http://localhost:9000/publish/epoch/end/'
    """

    def __init__(
        self,
        root="http://localhost:9000",
        path="/publish/epoch/end/",
        field="data",
        headers=None,
        send_as_json=False,
        timeout=None,
    ):
        super().__init__()
        self.root = root
        self.path = path
        self.field = field
        self.headers = headers
        self.send_as_json = send_as_json
        self.timeout = timeout

    def on_epoch_end(self, epoch, logs=None):
        if dist.is_available() and dist.is_initialized() and dist.get_rank() != 0:
            return
        send = {"epoch": epoch}
        for key, value in (logs or {}).items():
            if isinstance(value, (np.ndarray, np.generic)) or (
                isinstance(value, torch.Tensor) and value.numel() == 1
            ):
                value = value.item()
            send[key] = value
        if self.send_as_json:
            body, kind = json.dumps(send).encode(), "application/json"
        else:
            body = urllib.parse.urlencode({self.field: json.dumps(send)}).encode()
            kind = "application/x-www-form-urlencoded"
        request = urllib.request.Request(
            self.root + self.path,
            data=body,
            headers={"Content-Type": kind, **(self.headers or {})},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
        except urllib.error.HTTPError:
            pass  # the server answered: requests.post does not raise on a status either
        except (urllib.error.URLError, OSError, ValueError):
            warnings.warn(f"Could not reach RemoteMonitor root server at {self.root}", stacklevel=2)
